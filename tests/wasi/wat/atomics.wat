;; Uses the threads proposal (0xFE prefix), which ward does not implement.
(module
  (memory 1)
  (func (export "_start") (drop (i32.atomic.load (i32.const 0)))))
