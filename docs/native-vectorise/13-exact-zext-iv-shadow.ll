; 13. Exact and countable: the shadow of the address is built on an i64
; induction variable of ward's own, J = zext(j) where the loop is entered
; and J + 1 wherever j + 1 (`add nuw nsw`), so J == j mod 2^32 and J >= 0;
; the address's shadow zext(row) + (J << 3) (`nuw nsw`), checked against
; a limit with a known range, lim = umin(usub.sat(size, 7), 2^33), once
; where the loop is entered: shadow < lim <=> shadow + 8 <= size for a
; 32-bit memory (size <= 2^32). Exact: a passing check means shadow + 8 <=
; 2^32, so J < 2^29, no i32 operation of the address wrapped and the Wasm
; address equals the shadow; a failing one leaves for the exact slow copy.
; The nuw flags hold because both checks dominate the latch (the J that
; reaches J + 1 is below 2^29). The Wasm exit stays as it is (i32, slt).
; What made 3, 5, 10 and 12 fail: `shadow + 8 <= size` on an unbounded
; size (SCEV cannot count an exit of stride 8 against a limit that may be
; within 8 of 2^64), and zext(j) instead of an IV of its own.
; Expected: vectorised.
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"
declare i64 @llvm.usub.sat.i64(i64, i64)
declare i64 @llvm.umin.i64(i64, i64)
declare i32 @slowcopy(ptr, i32, i32)

define i32 @k(ptr %ex, ptr %mem, i64 %size, i32 %rowi, i32 %rowk, i32 %j0, i32 %n, double %l) {
entry:
  %J0 = zext i32 %j0 to i64
  %rkz = zext i32 %rowk to i64
  %riz = zext i32 %rowi to i64
  %lim0 = call i64 @llvm.usub.sat.i64(i64 %size, i64 7)
  %lim = call i64 @llvm.umin.i64(i64 %lim0, i64 8589934592)
  br label %loop
loop:
  %j = phi i32 [ %j0, %entry ], [ %jn, %latch ]
  %J = phi i64 [ %J0, %entry ], [ %Jn, %latch ]
  %J8 = shl nuw nsw i64 %J, 3
  %akw = add nuw nsw i64 %rkz, %J8
  %okk = icmp ult i64 %akw, %lim
  br i1 %okk, label %fastk, label %slowk, !prof !0
fastk:
  %pk = getelementptr i8, ptr %mem, i64 %akw
  %vk = load double, ptr %pk, align 1
  %aiw = add nuw nsw i64 %riz, %J8
  %oki = icmp ult i64 %aiw, %lim
  br i1 %oki, label %fasti, label %slowi, !prof !0
slowk:
  %rk = call i32 @slowcopy(ptr %ex, i32 %j, i32 0)
  ret i32 %rk
fasti:
  %pi = getelementptr i8, ptr %mem, i64 %aiw
  %vif = load double, ptr %pi, align 1
  %m = fmul double %l, %vk
  %s = fsub double %vif, %m
  store double %s, ptr %pi, align 1
  br label %latch
slowi:
  %ri = call i32 @slowcopy(ptr %ex, i32 %j, i32 1)
  ret i32 %ri
latch:
  %jn = add i32 %j, 1
  %Jn = add nuw nsw i64 %J, 1
  %c = icmp slt i32 %jn, %n
  br i1 %c, label %loop, label %exit
exit:
  ret i32 0
}
!0 = !{!"branch_weights", i32 2000, i32 1}
