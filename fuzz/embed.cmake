# Fuzz target of src/embed: the tokenizer takes untrusted bytes (source text, doc comments,
# queries).  plait_embed itself is instrumented here so libFuzzer sees its coverage.
plait_fuzz(fuzz_tokenizer ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_tokenizer.c plait_embed)
target_compile_definitions(fuzz_tokenizer PRIVATE PLAIT_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
