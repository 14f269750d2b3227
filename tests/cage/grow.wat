;; grow.wat - grows a 32-bit memory towards and past 256 MiB.
(module
  (memory (export "mem") 1)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))
