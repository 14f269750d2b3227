;; An active element segment that does not fit its table.
(module
  (table 4 funcref)
  (func $f)
  (elem (i32.const 3) $f $f)
  (func (export "_start")))
