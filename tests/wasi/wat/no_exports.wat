;; Nothing to run at all: no start function, no exports.
(module (func $unused))
