;; permguest.wat - a guest for the permission tests (paged_test.c and
;; perm_model.c): 8 pages, plain loads and stores, and every ward:mem import
;; passed through as an export of the same name (a host function called
;; from inside the instance acts on its memory).
(module
  (import "ward:mem" "protect" (func $protect (param i32 i32 i32) (result i32)))
  (import "ward:mem" "publish" (func $publish (param i32 i32) (result i32)))
  (import "ward:mem" "map" (func $map (param i32 i32 i32) (result i32)))
  (import "ward:mem" "unmap" (func $unmap (param i32) (result i32)))
  (import "ward:mem" "release" (func $release (param i32) (result i32)))
  (import "ward:mem" "region_pages" (func $region_pages (param i32) (result i32)))
  (memory (export "mem") 8 8)
  (func (export "ld") (param i32) (result i32) local.get 0 i32.load)
  (func (export "st") (param i32 i32) local.get 0 local.get 1 i32.store)
  (func (export "protect") (param i32 i32 i32) (result i32)
    local.get 0 local.get 1 local.get 2 call $protect)
  (func (export "publish") (param i32 i32) (result i32)
    local.get 0 local.get 1 call $publish)
  (func (export "map") (param i32 i32 i32) (result i32)
    local.get 0 local.get 1 local.get 2 call $map)
  (func (export "unmap") (param i32) (result i32) local.get 0 call $unmap)
  (func (export "release") (param i32) (result i32) local.get 0 call $release)
  (func (export "region_pages") (param i32) (result i32) local.get 0 call $region_pages)
  ;; publish($page, $n) $count times: how many calls succeeded.
  (func (export "publish_loop") (param $page i32) (param $n i32) (param $count i32) (result i32)
    (local $ok i32)
    block $done
      loop $l
        local.get $count i32.eqz br_if $done
        local.get $page local.get $n call $publish
        i32.const 0 i32.ge_s local.get $ok i32.add local.set $ok
        local.get $count i32.const 1 i32.sub local.set $count
        br $l
      end
    end
    local.get $ok)
  ;; publish($page, $n) then release the handle, $count times: the largest
  ;; handle seen, or -1 as soon as a publish or a release fails.
  (func (export "publish_release_loop") (param $page i32) (param $n i32) (param $count i32)
    (result i32)
    (local $h i32) (local $max i32)
    block $done
      loop $l
        local.get $count i32.eqz br_if $done
        local.get $page local.get $n call $publish local.tee $h
        i32.const 0 i32.lt_s if i32.const -1 return end
        local.get $h call $release
        if i32.const -1 return end
        local.get $h local.get $max local.get $h local.get $max i32.gt_s select local.set $max
        local.get $count i32.const 1 i32.sub local.set $count
        br $l
      end
    end
    local.get $max)
  ;; release handles [0, $n): how many were known.
  (func (export "release_all") (param $n i32) (result i32)
    (local $h i32) (local $ok i32)
    block $done
      loop $l
        local.get $h local.get $n i32.ge_u br_if $done
        local.get $h call $release i32.eqz local.get $ok i32.add local.set $ok
        local.get $h i32.const 1 i32.add local.set $h
        br $l
      end
    end
    local.get $ok)
)
