# Vector index loader fuzz target (see fuzz_vindex_load.c); seeds are small saved indexes.
plait_fuzz(fuzz_vindex_load fuzz_vindex_load.c plait_vector)
