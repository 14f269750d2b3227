;; The trivial function of bench/serve.sh: does nothing (its output is empty).
(module
  (memory (export "memory") 1)
  (func (export "_start")))
