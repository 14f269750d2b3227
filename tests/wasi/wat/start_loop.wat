;; A start function that never returns: -W timeout must cover it.
(module (func $s (loop $l (br $l))) (start $s))
