;; tests/native/depth.wat - depth_test.c's module with native code: `down n`
;; recurses n times, then calls the leaf of depth_leaf.wat (a module without
;; native code, so run by the interpreter from inside native code).
(module
  (import "leaf" "leaf" (func $leaf (param i32) (result i32)))
  (func $down (export "down") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (call $leaf (i32.const 7)))
      (else (i32.add (call $down (i32.sub (local.get $n) (i32.const 1))) (i32.const 1))))))
