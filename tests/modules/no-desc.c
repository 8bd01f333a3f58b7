/* tests/modules/no-desc.c: a shared object without the plugin descriptor. */
extern int no_desc_something;
int no_desc_something = 1;
