;; return_call_indirect (0x13), tail-call proposal.
(module
  (type $t (func))
  (table 1 funcref)
  (func (export "_start") (return_call_indirect (type $t) (i32.const 0))))
