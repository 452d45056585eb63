# Fuzz targets for the decoders of untrusted bytes on the indexing path: Rust sources, the
# stored module-declaration JSON, Cargo.toml, ignore files and glob patterns.
set(PLAIT_FUZZ_CORPUS_fuzz_rust_extract ${CMAKE_SOURCE_DIR}/tests/fixtures/ws/crates/core_lib/src)
set(PLAIT_FUZZ_CORPUS_fuzz_manifest ${CMAKE_SOURCE_DIR}/tests/fixtures/ws/tools/cli)
plait_fuzz(fuzz_rust_extract ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_rust_extract.c plait_graph)
plait_fuzz(fuzz_manifest ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_manifest.c plait_discover)
