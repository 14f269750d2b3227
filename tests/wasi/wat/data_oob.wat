;; An active data segment that does not fit its memory: instantiation fails
;; (exit 1, the segment named), no code runs. Segment 0 fits, segment 1 not.
(module
  (memory 1)
  (data (i32.const 0) "fits")
  (data (i32.const 65530) "0123456789")
  (func (export "_start")))
