; 1. Explicit bounds checks on i64 addresses that are affine in the loop's
; induction variable (no Wasm wrap-around): each check is an exit with a
; computable count, and -O2 vectorises the min of all counts, keeping the
; checks in the scalar remainder. Expected: vectorised.
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"
declare void @trap() noreturn nounwind cold
define void @k(ptr %mem, i64 %lim, i64 %rowi, i64 %rowk, i64 %j0, i64 %n, double %l) {
entry:
  %e = icmp slt i64 %j0, %n
  br i1 %e, label %loop, label %exit
loop:
  %j = phi i64 [ %j0, %entry ], [ %jn, %latch ]
  %ak = add nsw i64 %rowk, %j
  %okk = icmp ult i64 %ak, %lim
  br i1 %okk, label %ld, label %oob, !prof !0
ld:
  %pk = getelementptr double, ptr %mem, i64 %ak
  %vk = load double, ptr %pk, align 1
  %ai = add nsw i64 %rowi, %j
  %oki = icmp ult i64 %ai, %lim
  br i1 %oki, label %latch, label %oob, !prof !0
latch:
  %pi = getelementptr double, ptr %mem, i64 %ai
  %vi = load double, ptr %pi, align 1
  %m = fmul double %l, %vk
  %s = fsub double %vi, %m
  store double %s, ptr %pi, align 1
  %jn = add nsw i64 %j, 1
  %c = icmp slt i64 %jn, %n
  br i1 %c, label %loop, label %exit
oob:
  call void @trap()
  unreachable
exit:
  ret void
}
!0 = !{!"branch_weights", i32 2000, i32 1}
