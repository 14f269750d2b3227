;; share.wat - a tenant for the sharing, transfer and clone tests: 4 pages,
;; plain loads and stores, a byte sum over a range, and a global counter.
(module
  (memory (export "mem") 4 16)
  (global $n (mut i32) (i32.const 0))
  (data (i32.const 100) "template")
  (func (export "ld") (param i32) (result i32) local.get 0 i32.load)
  (func (export "st") (param i32 i32)
    global.get $n i32.const 1 i32.add global.set $n
    local.get 0 local.get 1 i32.store)
  (func (export "count") (result i32) global.get $n)
  (func (export "sum") (param $p i32) (param $n i32) (result i32)
    (local $s i32)
    block $done
      loop $l
        local.get $n i32.eqz br_if $done
        local.get $s local.get $p i32.load8_u i32.add local.set $s
        local.get $p i32.const 1 i32.add local.set $p
        local.get $n i32.const 1 i32.sub local.set $n
        br $l
      end
    end
    local.get $s)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
)
