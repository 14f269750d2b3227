;; tlb.wat - paged memory 0's translation cache must never go stale: each
;; function goes through ONE load or store instruction twice, so the second
;; pass finds that access site's cache entry warm, and in between the page
;; tables change (a host call that protects, remaps or unmaps, or a
;; copy-on-write store). The host call gets the pass number.
(module
  (import "host" "poke" (func $poke (param i32)))
  (memory (export "mem") 4 16)
  ;; Sum of two loads of $a through one instruction, host call in between.
  (func (export "ld2") (param $a i32) (result i32)
    (local $i i32) (local $s i32)
    loop $l
      local.get $s local.get $a i32.load i32.add local.set $s
      local.get $i call $poke
      local.get $i i32.const 1 i32.add local.tee $i
      i32.const 2 i32.lt_u br_if $l
    end
    local.get $s)
  ;; Two stores of $v + pass through one instruction, host call in between.
  (func (export "st2") (param $a i32) (param $v i32)
    (local $i i32)
    loop $l
      local.get $a local.get $v local.get $i i32.add i32.store
      local.get $i call $poke
      local.get $i i32.const 1 i32.add local.tee $i
      i32.const 2 i32.lt_u br_if $l
    end)
  ;; Load, then store $v (copy-on-write in a clone), twice through the same
  ;; two instructions: returns the first load * 1000 + the second.
  (func (export "rmw") (param $a i32) (param $v i32) (result i32)
    (local $i i32) (local $s i32)
    loop $l
      local.get $s i32.const 1000 i32.mul local.get $a i32.load i32.add local.set $s
      local.get $a local.get $v i32.store
      local.get $i i32.const 1 i32.add local.tee $i
      i32.const 2 i32.lt_u br_if $l
    end
    local.get $s)
  ;; Load, memory.fill of four bytes $v at $a (copy-on-write in a clone),
  ;; load again: returns the first load * 1000 + the second.
  (func (export "fill") (param $a i32) (param $v i32) (result i32)
    local.get $a i32.load i32.const 1000 i32.mul
    local.get $a local.get $v i32.const 4 memory.fill
    local.get $a i32.load i32.add)
)
