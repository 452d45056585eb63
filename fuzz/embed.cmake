# Fuzz target of src/embed: the tokenizer takes untrusted bytes (source text, doc comments,
# queries).  plait_embed itself is instrumented here so libFuzzer sees its coverage.
target_compile_options(plait_embed PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
plait_fuzz(fuzz_tokenizer ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_tokenizer.c plait_embed)
target_compile_definitions(fuzz_tokenizer PRIVATE PLAIT_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
