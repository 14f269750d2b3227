;; tests/native/depth_leaf.wat - the leaf of depth.wat, interpreted: it calls
;; once more, so that the limit can fall on it or on its callee.
(module
  (func $id (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
  (func (export "leaf") (param i32) (result i32) (i32.add (call $id (local.get 0)) (i32.const 1))))
