/* No include guard: a second #include redefines the struct. */
struct bad_twice { int x; };
