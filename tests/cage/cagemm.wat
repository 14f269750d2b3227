;; cagemm.wat - accesses to a tagged memory 1 (the layout-M tagged path for
;; a 32-bit memory): the host tags its granules (ward_memory_tag_set).
(module
  (memory (export "mem0") 1)
  (memory (export "mem1") 2)
  (func (export "ld32") (param i32) (result i32) local.get 0 i32.load 1)
  (func (export "st32") (param i32 i32) local.get 0 local.get 1 i32.store 1)
  (func (export "ldv") (param i32) (result i64) local.get 0 v128.load 1 i64x2.extract_lane 0)
  (func (export "fill") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.fill 1)
  (func (export "copy01") (param i32 i32 i32)
    local.get 0 local.get 1 local.get 2 memory.copy 0 1)
)
