; 12. 6 (the exact checks: shadow >= 0 and shadow + 8 <= size, each an exit)
; with a guard where the loop is entered: every access's shadow computed
; from the locals as they are there must be >= 0, else the slow copy. LLVM
; does not use it to drop the in-loop lower bounds (they stay, uncounted).
; Expected: not vectorised.
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"
declare void @trap() noreturn nounwind cold
declare i32 @limits(ptr) nounwind
declare i32 @limits2(ptr, i32) nounwind
declare i32 @slowcopy(ptr, i32, i32)

define i32 @k(ptr %ex, ptr %mem, i64 %size, i32 %rowi, i32 %rowk, i32 %j0, i32 %n, double %l, i32 %b0) {
entry:
  br label %outer
outer:
  %jo = phi i32 [ %j0, %entry ], [ %jn, %l2 ]
  %f = phi i32 [ 0, %entry ], [ 1, %l2 ]
  %bin = phi i32 [ %b0, %entry ], [ 0, %l2 ]
  %t = call i32 @limits2(ptr %ex, i32 %f)
  %fb = icmp ne i32 %f, 0
  %bnew = select i1 %fb, i32 4096, i32 %bin
  %tt = icmp eq i32 %t, 0
  br i1 %tt, label %guard, label %trapped
guard:
  ; the shadows of the loop's accesses, from the locals as they are at its entry
  %gjz = sext i32 %jo to i64
  %gj8 = shl nsw i64 %gjz, 3
  %grk = zext i32 %rowk to i64
  %gk = add nsw i64 %grk, %gj8
  %gri = zext i32 %rowi to i64
  %gi = add nsw i64 %gri, %gj8
  %gk0 = icmp sge i64 %gk, 0
  %gi0 = icmp sge i64 %gi, 0
  %g = and i1 %gk0, %gi0
  br i1 %g, label %loop, label %slowg
slowg:
  %rg = call i32 @slowcopy(ptr %ex, i32 %jo, i32 2)
  ret i32 %rg
loop:
  %j = phi i32 [ %jo, %guard ], [ %jn, %back ]
  %budget = phi i32 [ %bnew, %guard ], [ %nb, %back ]
  %j8 = shl i32 %j, 3
  %ak = add i32 %rowk, %j8
  ; the shadow
  %jz = sext i32 %j to i64
  %j8w = shl nsw i64 %jz, 3
  %rkz = zext i32 %rowk to i64
  %akw = add nsw i64 %rkz, %j8w
  %endk = add nsw i64 %akw, 8
  %okk = icmp ule i64 %endk, %size
  %okk0 = icmp sge i64 %akw, 0
  br i1 %okk0, label %k0, label %slowk, !prof !0
k0:
  br i1 %okk, label %fastk, label %slowk, !prof !0
fastk:
  %pk = getelementptr i8, ptr %mem, i64 %akw
  %vkf = load double, ptr %pk, align 1
  br label %hk
slowk:
  %rk = call i32 @slowcopy(ptr %ex, i32 %j, i32 0)
  ret i32 %rk
hk:
  %vk = phi double [ %vkf, %fastk ]
  %ai = add i32 %rowi, %j8
  %riz = zext i32 %rowi to i64
  %aiw = add nsw i64 %riz, %j8w
  %endi = add nsw i64 %aiw, 8
  %oki = icmp ule i64 %endi, %size
  %oki0 = icmp sge i64 %aiw, 0
  br i1 %oki0, label %i0, label %slowi, !prof !0
i0:
  br i1 %oki, label %fasti, label %slowi, !prof !0
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
  %c = icmp slt i32 %jn, %n
  %nb = add i32 %budget, -1
  %more = icmp ne i32 %nb, 0
  br i1 %c, label %l2, label %exit
l2:
  br i1 %more, label %back, label %outer
back:
  br label %loop
trapped:
  ret i32 %t
oob:
  call void @trap()
  unreachable
exit:
  ret i32 0
}
!0 = !{!"branch_weights", i32 2000, i32 1}
