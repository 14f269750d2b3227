;; A reactor: _initialize and no _start. `ward run` without --invoke runs
;; _initialize and says that nothing else ran.
(module
  (global $g (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $g (i32.const 1)))
  (func (export "get") (result i32) (global.get $g)))
