;; share_clone.wat - the tenant of bench/share_clone.c: 17 pages like a
;; small C program (1 MiB stack + data), a scan that touches every cache
;; line of a range, and a store to dirty one page.
(module
  (memory (export "mem") 17 65536)
  (data (i32.const 1024) "a small C program's static data")
  (func (export "scan") (param $p i32) (param $n i32) (result i64)
    (local $s i64) (local $end i32)
    local.get $p local.get $n i32.add local.set $end
    block $done
      loop $l
        local.get $p local.get $end i32.ge_u br_if $done
        local.get $s local.get $p i64.load i64.add local.set $s
        local.get $p i32.const 64 i32.add local.set $p
        br $l
      end
    end
    local.get $s)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "touch") (param i32) local.get 0 i32.const 1 i32.store))
