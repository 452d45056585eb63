# Fuzz targets for the decoders of untrusted bytes on the indexing path: Rust sources, the
# stored module-declaration JSON, Cargo.toml, ignore files and glob patterns.
plait_fuzz(fuzz_rust_extract ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_rust_extract.c plait_graph)
plait_fuzz(fuzz_manifest ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_manifest.c plait_discover)
