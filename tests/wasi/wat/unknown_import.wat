;; Imports a function no one defines: `ward run` must fail to link it,
;; naming the error code (UNKNOWN_IMPORT) after the message.
(module
  (import "nowhere" "f" (func))
  (func (export "_start")))
