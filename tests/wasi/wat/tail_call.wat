;; Uses the tail-call proposal (return_call, 0x12), which ward does not implement.
(module
  (func $f)
  (func (export "_start") (return_call $f)))
