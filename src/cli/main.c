#include <stdio.h>
int main(void) { puts("plait"); return 0; }
