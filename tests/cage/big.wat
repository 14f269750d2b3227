;; big.wat - a 32-bit memory of 4097 pages: one page more than a tagged
;; memory can hold.
(module (memory (export "mem") 4097))
