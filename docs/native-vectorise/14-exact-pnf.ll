; 14. All three exact forms together: P as in 13 (ward's own i64 IV,
; bounded limit), N as in 11 (the back-edge budget, the check at an outer
; header with an empty `asm sideeffect`), F as in 9 (constrained float
; operations, made plain between the two phases where no operand is a
; constant). Expected: not vectorised by plain -O2; vectorised in two
; phases.
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"
declare void @trap() noreturn nounwind cold
declare i32 @limits(ptr) nounwind
declare i32 @limits2(ptr, i32) nounwind
declare i64 @llvm.usub.sat.i64(i64, i64)
declare i64 @llvm.umin.i64(i64, i64)
declare i32 @slowcopy(ptr, i32, i32)

define i32 @k(ptr %ex, ptr %mem, i64 %size, i32 %rowi, i32 %rowk, i32 %j0, i32 %n, double %l, i32 %b0) #0 {
entry:
  %J0 = zext i32 %j0 to i64
  %rkz = zext i32 %rowk to i64
  %riz = zext i32 %rowi to i64
  %lim0 = call i64 @llvm.usub.sat.i64(i64 %size, i64 7)
  %lim = call i64 @llvm.umin.i64(i64 %lim0, i64 8589934592)
  br label %outer
outer:
  %jo = phi i32 [ %j0, %entry ], [ %jn, %l2 ]
  %Jo = phi i64 [ %J0, %entry ], [ %Jn, %l2 ]
  %f = phi i32 [ 0, %entry ], [ 1, %l2 ]
  %bin = phi i32 [ %b0, %entry ], [ 0, %l2 ]
  call void asm sideeffect "", ""() #1
  %fb = icmp ne i32 %f, 0
  br i1 %fb, label %chk, label %loop
chk:
  %t = call i32 @limits(ptr %ex) #1
  %tt = icmp eq i32 %t, 0
  br i1 %tt, label %loop, label %trapped
loop:
  %j = phi i32 [ %jo, %outer ], [ %jo, %chk ], [ %jn, %back ]
  %J = phi i64 [ %Jo, %outer ], [ %Jo, %chk ], [ %Jn, %back ]
  %budget = phi i32 [ %bin, %outer ], [ 4096, %chk ], [ %nb, %back ]
  %j8 = shl i32 %j, 3
  %ak = add i32 %rowk, %j8
  ; the shadow
  %j8w = shl nuw nsw i64 %J, 3
  %akw = add nuw nsw i64 %rkz, %j8w
  %okk = icmp ult i64 %akw, %lim
  br i1 %okk, label %fastk, label %slowk, !prof !0
fastk:
  %pk = getelementptr i8, ptr %mem, i64 %akw
  %vkf = load double, ptr %pk, align 1
  br label %hk
slowk:
  %rk = call i32 @slowcopy(ptr %ex, i32 %j, i32 0) #1
  ret i32 %rk
hk:
  %vk = phi double [ %vkf, %fastk ]
  %ai = add i32 %rowi, %j8
  %aiw = add nuw nsw i64 %riz, %j8w
  %oki = icmp ult i64 %aiw, %lim
  br i1 %oki, label %fasti, label %slowi, !prof !0
fasti:
  %pi = getelementptr i8, ptr %mem, i64 %aiw
  %vif = load double, ptr %pi, align 1
  %m = call double @llvm.experimental.constrained.fmul.f64(double %l, double %vk, metadata !"round.tonearest", metadata !"fpexcept.maytrap") #1
  %s = call double @llvm.experimental.constrained.fsub.f64(double %vif, double %m, metadata !"round.tonearest", metadata !"fpexcept.maytrap") #1
  store double %s, ptr %pi, align 1
  br label %latch
slowi:
  %ri = call i32 @slowcopy(ptr %ex, i32 %j, i32 1) #1
  ret i32 %ri
latch:
  %jn = add i32 %j, 1
  %Jn = add nuw nsw i64 %J, 1
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

declare double @llvm.experimental.constrained.fmul.f64(double, double, metadata, metadata)
declare double @llvm.experimental.constrained.fsub.f64(double, double, metadata, metadata)
attributes #0 = { strictfp }
attributes #1 = { strictfp }
