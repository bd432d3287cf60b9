;; Dense column-major matrix kernels in WebAssembly SIMD (f64x2).
;;
;; Assembled into bytes by scripts/build-wasm.mjs (the result is embedded base64 in
;; wasm-bytes.generated.ts). Every pointer is a byte offset into the imported memory; a matrix X
;; with n rows stores entry (i, j) at X + 8·(i + j·n), so a column is contiguous. Column lists are
;; given as i32 index arrays, which covers Xᵀr / Xw (the identity list) and a group's block X_g
;; (a slice of the CSR group indices) with one kernel each.
;;
;; Why the shapes below (measured on the 1000 × 5000 and 10000 × 2000 benchmark matrices): while
;; the vector fits in L1 (n ≤ `split` rows, 4096 by default) streaming one column at a time, 64 bytes
;; and four independent f64x2 accumulators per pass, is fastest (about 1.5x the four-column form);
;; for longer columns four columns share each load (and store) of the vector, which then comes
;; from L2. Loads may be unaligned (n odd); x86 pays nothing for it.
(module
  (import "env" "memory" (memory 1))

  ;; Rows above which the four-column forms are used (a global so tests can force either path).
  (global $split (export "split") (mut i32) (i32.const 4096))

  ;; Σ_{i<n} x[i]·y[i]: 64 bytes of each vector per pass, four independent accumulators.
  (func $dot (export "dot") (param $x i32) (param $y i32) (param $n i32) (result f64)
    (local $off i32) (local $endU i32) (local $end i32) (local $px i32) (local $py i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s f64)
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (local.set $endU (i32.and (local.get $end) (i32.const -64)))
    (block $done
      (loop $main
        (br_if $done (i32.ge_u (local.get $off) (local.get $endU)))
        (local.set $px (i32.add (local.get $x) (local.get $off)))
        (local.set $py (i32.add (local.get $y) (local.get $off)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (v128.load (local.get $px)) (v128.load (local.get $py)))))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (v128.load offset=16 (local.get $px)) (v128.load offset=16 (local.get $py)))))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (v128.load offset=32 (local.get $px)) (v128.load offset=32 (local.get $py)))))
        (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (v128.load offset=48 (local.get $px)) (v128.load offset=48 (local.get $py)))))
        (local.set $off (i32.add (local.get $off) (i32.const 64)))
        (br $main)))
    (local.set $a0 (f64x2.add (f64x2.add (local.get $a0) (local.get $a1)) (f64x2.add (local.get $a2) (local.get $a3))))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $off) (local.get $end)))
        (local.set $s (f64.add (local.get $s)
          (f64.mul (f64.load (i32.add (local.get $x) (local.get $off)))
                   (f64.load (i32.add (local.get $y) (local.get $off))))))
        (local.set $off (i32.add (local.get $off) (i32.const 8)))
        (br $tail)))
    (local.get $s))

  ;; y[i] += a·x[i] for i < n, 64 bytes per pass.
  (func $axpy (export "axpy") (param $a f64) (param $x i32) (param $y i32) (param $n i32)
    (local $off i32) (local $endU i32) (local $end i32) (local $av v128) (local $px i32) (local $py i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (local.set $endU (i32.and (local.get $end) (i32.const -64)))
    (local.set $av (f64x2.splat (local.get $a)))
    (block $done
      (loop $main
        (br_if $done (i32.ge_u (local.get $off) (local.get $endU)))
        (local.set $px (i32.add (local.get $x) (local.get $off)))
        (local.set $py (i32.add (local.get $y) (local.get $off)))
        (v128.store (local.get $py) (f64x2.add (v128.load (local.get $py))
          (f64x2.mul (local.get $av) (v128.load (local.get $px)))))
        (v128.store offset=16 (local.get $py) (f64x2.add (v128.load offset=16 (local.get $py))
          (f64x2.mul (local.get $av) (v128.load offset=16 (local.get $px)))))
        (v128.store offset=32 (local.get $py) (f64x2.add (v128.load offset=32 (local.get $py))
          (f64x2.mul (local.get $av) (v128.load offset=32 (local.get $px)))))
        (v128.store offset=48 (local.get $py) (f64x2.add (v128.load offset=48 (local.get $py))
          (f64x2.mul (local.get $av) (v128.load offset=48 (local.get $px)))))
        (local.set $off (i32.add (local.get $off) (i32.const 64)))
        (br $main)))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $off) (local.get $end)))
        (local.set $py (i32.add (local.get $y) (local.get $off)))
        (f64.store (local.get $py) (f64.add (f64.load (local.get $py))
          (f64.mul (local.get $a) (f64.load (i32.add (local.get $x) (local.get $off))))))
        (local.set $off (i32.add (local.get $off) (i32.const 8)))
        (br $tail))))

  ;; out[k] = X[:, idx[k]]ᵀ y for k < count  (Xᵀy restricted to the listed columns).
  (func (export "gemv_t") (param $X i32) (param $n i32) (param $idx i32) (param $count i32)
                          (param $y i32) (param $out i32)
    (local $colBytes i32) (local $k i32) (local $lim i32) (local $off i32) (local $end4 i32) (local $end i32)
    (local $c0 i32) (local $c1 i32) (local $c2 i32) (local $c3 i32) (local $q i32)
    (local $v0 v128) (local $v1 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $s0 f64) (local $s1 f64) (local $s2 f64) (local $s3 f64) (local $t f64)
    (local.set $colBytes (i32.shl (local.get $n) (i32.const 3)))
    (local.set $end (local.get $colBytes))
    (local.set $end4 (i32.and (local.get $end) (i32.const -32)))
    ;; While y fits in L1 (n ≤ 4096) one column at a time streams fastest; past that, sharing each
    ;; load of y among four columns wins.
    (local.set $lim (select (local.get $count) (i32.const 0) (i32.gt_u (local.get $n) (global.get $split))))
    (block $done4
      (loop $cols4
        (br_if $done4 (i32.gt_u (i32.add (local.get $k) (i32.const 4)) (local.get $lim)))
        (local.set $q (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2))))
        (local.set $c0 (i32.add (local.get $X) (i32.mul (i32.load (local.get $q)) (local.get $colBytes))))
        (local.set $c1 (i32.add (local.get $X) (i32.mul (i32.load offset=4 (local.get $q)) (local.get $colBytes))))
        (local.set $c2 (i32.add (local.get $X) (i32.mul (i32.load offset=8 (local.get $q)) (local.get $colBytes))))
        (local.set $c3 (i32.add (local.get $X) (i32.mul (i32.load offset=12 (local.get $q)) (local.get $colBytes))))
        (local.set $a0 (v128.const i64x2 0 0)) (local.set $a1 (v128.const i64x2 0 0))
        (local.set $a2 (v128.const i64x2 0 0)) (local.set $a3 (v128.const i64x2 0 0))
        (local.set $b0 (v128.const i64x2 0 0)) (local.set $b1 (v128.const i64x2 0 0))
        (local.set $b2 (v128.const i64x2 0 0)) (local.set $b3 (v128.const i64x2 0 0))
        (local.set $off (i32.const 0))
        (block $rdone
          (loop $rows
            (br_if $rdone (i32.ge_u (local.get $off) (local.get $end4)))
            (local.set $v0 (v128.load (i32.add (local.get $y) (local.get $off))))
            (local.set $v1 (v128.load offset=16 (i32.add (local.get $y) (local.get $off))))
            (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $v0) (v128.load (i32.add (local.get $c0) (local.get $off))))))
            (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $v1) (v128.load offset=16 (i32.add (local.get $c0) (local.get $off))))))
            (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $v0) (v128.load (i32.add (local.get $c1) (local.get $off))))))
            (local.set $b1 (f64x2.add (local.get $b1) (f64x2.mul (local.get $v1) (v128.load offset=16 (i32.add (local.get $c1) (local.get $off))))))
            (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $v0) (v128.load (i32.add (local.get $c2) (local.get $off))))))
            (local.set $b2 (f64x2.add (local.get $b2) (f64x2.mul (local.get $v1) (v128.load offset=16 (i32.add (local.get $c2) (local.get $off))))))
            (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $v0) (v128.load (i32.add (local.get $c3) (local.get $off))))))
            (local.set $b3 (f64x2.add (local.get $b3) (f64x2.mul (local.get $v1) (v128.load offset=16 (i32.add (local.get $c3) (local.get $off))))))
            (local.set $off (i32.add (local.get $off) (i32.const 32)))
            (br $rows)))
        (local.set $a0 (f64x2.add (local.get $a0) (local.get $b0)))
        (local.set $a1 (f64x2.add (local.get $a1) (local.get $b1)))
        (local.set $a2 (f64x2.add (local.get $a2) (local.get $b2)))
        (local.set $a3 (f64x2.add (local.get $a3) (local.get $b3)))
        (local.set $s0 (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))
        (local.set $s1 (f64.add (f64x2.extract_lane 0 (local.get $a1)) (f64x2.extract_lane 1 (local.get $a1))))
        (local.set $s2 (f64.add (f64x2.extract_lane 0 (local.get $a2)) (f64x2.extract_lane 1 (local.get $a2))))
        (local.set $s3 (f64.add (f64x2.extract_lane 0 (local.get $a3)) (f64x2.extract_lane 1 (local.get $a3))))
        (block $tdone
          (loop $tail
            (br_if $tdone (i32.ge_u (local.get $off) (local.get $end)))
            (local.set $t (f64.load (i32.add (local.get $y) (local.get $off))))
            (local.set $s0 (f64.add (local.get $s0) (f64.mul (local.get $t) (f64.load (i32.add (local.get $c0) (local.get $off))))))
            (local.set $s1 (f64.add (local.get $s1) (f64.mul (local.get $t) (f64.load (i32.add (local.get $c1) (local.get $off))))))
            (local.set $s2 (f64.add (local.get $s2) (f64.mul (local.get $t) (f64.load (i32.add (local.get $c2) (local.get $off))))))
            (local.set $s3 (f64.add (local.get $s3) (f64.mul (local.get $t) (f64.load (i32.add (local.get $c3) (local.get $off))))))
            (local.set $off (i32.add (local.get $off) (i32.const 8)))
            (br $tail)))
        (local.set $q (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 3))))
        (f64.store (local.get $q) (local.get $s0))
        (f64.store offset=8 (local.get $q) (local.get $s1))
        (f64.store offset=16 (local.get $q) (local.get $s2))
        (f64.store offset=24 (local.get $q) (local.get $s3))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $cols4)))
    ;; The columns left (all of them for short columns), one at a time.
    (block $done1
      (loop $cols1
        (br_if $done1 (i32.ge_u (local.get $k) (local.get $count)))
        (f64.store
          (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 3)))
          (call $dot
            (i32.add (local.get $X)
              (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2)))) (local.get $colBytes)))
            (local.get $y) (local.get $n)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $cols1))))

  ;; y += Σ_{k<count} coef[k]·X[:, idx[k]]  (X_g δ added to a residual, or X w with the nonzero columns).
  (func (export "gemv_n") (param $X i32) (param $n i32) (param $idx i32) (param $count i32)
                          (param $coef i32) (param $y i32)
    (local $colBytes i32) (local $k i32) (local $lim i32) (local $off i32) (local $end4 i32) (local $end i32)
    (local $c0 i32) (local $c1 i32) (local $c2 i32) (local $c3 i32) (local $q i32) (local $p i32)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128)
    (local $s0 f64) (local $s1 f64) (local $s2 f64) (local $s3 f64)
    (local.set $colBytes (i32.shl (local.get $n) (i32.const 3)))
    (local.set $end (local.get $colBytes))
    (local.set $end4 (i32.and (local.get $end) (i32.const -32)))
    ;; Same split as gemv_t: while y fits in L1 one column per pass is fastest, past that four
    ;; columns share each load and store of y.
    (local.set $lim (select (local.get $count) (i32.const 0) (i32.gt_u (local.get $n) (global.get $split))))
    (block $done4
      (loop $cols4
        (br_if $done4 (i32.gt_u (i32.add (local.get $k) (i32.const 4)) (local.get $lim)))
        (local.set $q (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2))))
        (local.set $c0 (i32.add (local.get $X) (i32.mul (i32.load (local.get $q)) (local.get $colBytes))))
        (local.set $c1 (i32.add (local.get $X) (i32.mul (i32.load offset=4 (local.get $q)) (local.get $colBytes))))
        (local.set $c2 (i32.add (local.get $X) (i32.mul (i32.load offset=8 (local.get $q)) (local.get $colBytes))))
        (local.set $c3 (i32.add (local.get $X) (i32.mul (i32.load offset=12 (local.get $q)) (local.get $colBytes))))
        (local.set $q (i32.add (local.get $coef) (i32.shl (local.get $k) (i32.const 3))))
        (local.set $s0 (f64.load (local.get $q)))
        (local.set $s1 (f64.load offset=8 (local.get $q)))
        (local.set $s2 (f64.load offset=16 (local.get $q)))
        (local.set $s3 (f64.load offset=24 (local.get $q)))
        (local.set $w0 (f64x2.splat (local.get $s0)))
        (local.set $w1 (f64x2.splat (local.get $s1)))
        (local.set $w2 (f64x2.splat (local.get $s2)))
        (local.set $w3 (f64x2.splat (local.get $s3)))
        (local.set $off (i32.const 0))
        (block $rdone
          (loop $rows
            (br_if $rdone (i32.ge_u (local.get $off) (local.get $end4)))
            (local.set $p (i32.add (local.get $y) (local.get $off)))
            (v128.store (local.get $p)
              (f64x2.add (v128.load (local.get $p))
                (f64x2.add
                  (f64x2.add
                    (f64x2.mul (local.get $w0) (v128.load (i32.add (local.get $c0) (local.get $off))))
                    (f64x2.mul (local.get $w1) (v128.load (i32.add (local.get $c1) (local.get $off)))))
                  (f64x2.add
                    (f64x2.mul (local.get $w2) (v128.load (i32.add (local.get $c2) (local.get $off))))
                    (f64x2.mul (local.get $w3) (v128.load (i32.add (local.get $c3) (local.get $off))))))))
            (v128.store offset=16 (local.get $p)
              (f64x2.add (v128.load offset=16 (local.get $p))
                (f64x2.add
                  (f64x2.add
                    (f64x2.mul (local.get $w0) (v128.load offset=16 (i32.add (local.get $c0) (local.get $off))))
                    (f64x2.mul (local.get $w1) (v128.load offset=16 (i32.add (local.get $c1) (local.get $off)))))
                  (f64x2.add
                    (f64x2.mul (local.get $w2) (v128.load offset=16 (i32.add (local.get $c2) (local.get $off))))
                    (f64x2.mul (local.get $w3) (v128.load offset=16 (i32.add (local.get $c3) (local.get $off))))))))
            (local.set $off (i32.add (local.get $off) (i32.const 32)))
            (br $rows)))
        (block $tdone
          (loop $tail
            (br_if $tdone (i32.ge_u (local.get $off) (local.get $end)))
            (local.set $p (i32.add (local.get $y) (local.get $off)))
            (f64.store (local.get $p)
              (f64.add (f64.load (local.get $p))
                (f64.add
                  (f64.add
                    (f64.mul (local.get $s0) (f64.load (i32.add (local.get $c0) (local.get $off))))
                    (f64.mul (local.get $s1) (f64.load (i32.add (local.get $c1) (local.get $off)))))
                  (f64.add
                    (f64.mul (local.get $s2) (f64.load (i32.add (local.get $c2) (local.get $off))))
                    (f64.mul (local.get $s3) (f64.load (i32.add (local.get $c3) (local.get $off))))))))
            (local.set $off (i32.add (local.get $off) (i32.const 8)))
            (br $tail)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $cols4)))
    (block $done1
      (loop $cols1
        (br_if $done1 (i32.ge_u (local.get $k) (local.get $count)))
        (call $axpy
          (f64.load (i32.add (local.get $coef) (i32.shl (local.get $k) (i32.const 3))))
          (i32.add (local.get $X)
            (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2)))) (local.get $colBytes)))
          (local.get $y) (local.get $n))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $cols1))))

  ;; out[k] = Σ_i X[i, idx[k]]·w[i]·y[i] for k < count: X_gᵀ diag(w) y without forming w∘y, so a
  ;; solver whose y changes after every block (a Newton model's X δ, weighted by the curvature)
  ;; pays no extra pass per change, and y may be a column of X itself (a weighted Gram row).
  ;; Four columns share each product w∘y (32 bytes of it per pass, eight accumulators), the
  ;; columns left one at a time.
  (func (export "gemv_tw") (param $X i32) (param $n i32) (param $idx i32) (param $count i32)
                           (param $y i32) (param $w i32) (param $out i32)
    (local $colBytes i32) (local $k i32) (local $off i32) (local $end4 i32) (local $c i32)
    (local $a0 v128) (local $a1 v128) (local $s f64)
    (local $c0 i32) (local $c1 i32) (local $c2 i32) (local $c3 i32) (local $q i32)
    (local $v0 v128) (local $v1 v128)
    (local $e0 v128) (local $e1 v128) (local $e2 v128) (local $e3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $t f64) (local $s0 f64) (local $s1 f64) (local $s2 f64) (local $s3 f64)
    (local.set $colBytes (i32.shl (local.get $n) (i32.const 3)))
    (local.set $end4 (i32.and (local.get $colBytes) (i32.const -32)))
    (block $done4
      (loop $cols4
        (br_if $done4 (i32.gt_u (i32.add (local.get $k) (i32.const 4)) (local.get $count)))
        (local.set $q (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2))))
        (local.set $c0 (i32.add (local.get $X) (i32.mul (i32.load (local.get $q)) (local.get $colBytes))))
        (local.set $c1 (i32.add (local.get $X) (i32.mul (i32.load offset=4 (local.get $q)) (local.get $colBytes))))
        (local.set $c2 (i32.add (local.get $X) (i32.mul (i32.load offset=8 (local.get $q)) (local.get $colBytes))))
        (local.set $c3 (i32.add (local.get $X) (i32.mul (i32.load offset=12 (local.get $q)) (local.get $colBytes))))
        (local.set $e0 (v128.const i64x2 0 0)) (local.set $e1 (v128.const i64x2 0 0))
        (local.set $e2 (v128.const i64x2 0 0)) (local.set $e3 (v128.const i64x2 0 0))
        (local.set $b0 (v128.const i64x2 0 0)) (local.set $b1 (v128.const i64x2 0 0))
        (local.set $b2 (v128.const i64x2 0 0)) (local.set $b3 (v128.const i64x2 0 0))
        (local.set $off (i32.const 0))
        (block $rdone4
          (loop $rows4
            (br_if $rdone4 (i32.ge_u (local.get $off) (local.get $end4)))
            (local.set $v0 (f64x2.mul (v128.load (i32.add (local.get $w) (local.get $off))) (v128.load (i32.add (local.get $y) (local.get $off)))))
            (local.set $v1 (f64x2.mul (v128.load offset=16 (i32.add (local.get $w) (local.get $off))) (v128.load offset=16 (i32.add (local.get $y) (local.get $off)))))
            (local.set $e0 (f64x2.add (local.get $e0) (f64x2.mul (local.get $v0) (v128.load (i32.add (local.get $c0) (local.get $off))))))
            (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $v1) (v128.load offset=16 (i32.add (local.get $c0) (local.get $off))))))
            (local.set $e1 (f64x2.add (local.get $e1) (f64x2.mul (local.get $v0) (v128.load (i32.add (local.get $c1) (local.get $off))))))
            (local.set $b1 (f64x2.add (local.get $b1) (f64x2.mul (local.get $v1) (v128.load offset=16 (i32.add (local.get $c1) (local.get $off))))))
            (local.set $e2 (f64x2.add (local.get $e2) (f64x2.mul (local.get $v0) (v128.load (i32.add (local.get $c2) (local.get $off))))))
            (local.set $b2 (f64x2.add (local.get $b2) (f64x2.mul (local.get $v1) (v128.load offset=16 (i32.add (local.get $c2) (local.get $off))))))
            (local.set $e3 (f64x2.add (local.get $e3) (f64x2.mul (local.get $v0) (v128.load (i32.add (local.get $c3) (local.get $off))))))
            (local.set $b3 (f64x2.add (local.get $b3) (f64x2.mul (local.get $v1) (v128.load offset=16 (i32.add (local.get $c3) (local.get $off))))))
            (local.set $off (i32.add (local.get $off) (i32.const 32)))
            (br $rows4)))
        (local.set $e0 (f64x2.add (local.get $e0) (local.get $b0)))
        (local.set $e1 (f64x2.add (local.get $e1) (local.get $b1)))
        (local.set $e2 (f64x2.add (local.get $e2) (local.get $b2)))
        (local.set $e3 (f64x2.add (local.get $e3) (local.get $b3)))
        (local.set $s0 (f64.add (f64x2.extract_lane 0 (local.get $e0)) (f64x2.extract_lane 1 (local.get $e0))))
        (local.set $s1 (f64.add (f64x2.extract_lane 0 (local.get $e1)) (f64x2.extract_lane 1 (local.get $e1))))
        (local.set $s2 (f64.add (f64x2.extract_lane 0 (local.get $e2)) (f64x2.extract_lane 1 (local.get $e2))))
        (local.set $s3 (f64.add (f64x2.extract_lane 0 (local.get $e3)) (f64x2.extract_lane 1 (local.get $e3))))
        (block $tdone4
          (loop $tail4
            (br_if $tdone4 (i32.ge_u (local.get $off) (local.get $colBytes)))
            (local.set $t (f64.mul (f64.load (i32.add (local.get $w) (local.get $off))) (f64.load (i32.add (local.get $y) (local.get $off)))))
            (local.set $s0 (f64.add (local.get $s0) (f64.mul (local.get $t) (f64.load (i32.add (local.get $c0) (local.get $off))))))
            (local.set $s1 (f64.add (local.get $s1) (f64.mul (local.get $t) (f64.load (i32.add (local.get $c1) (local.get $off))))))
            (local.set $s2 (f64.add (local.get $s2) (f64.mul (local.get $t) (f64.load (i32.add (local.get $c2) (local.get $off))))))
            (local.set $s3 (f64.add (local.get $s3) (f64.mul (local.get $t) (f64.load (i32.add (local.get $c3) (local.get $off))))))
            (local.set $off (i32.add (local.get $off) (i32.const 8)))
            (br $tail4)))
        (local.set $q (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 3))))
        (f64.store (local.get $q) (local.get $s0))
        (f64.store offset=8 (local.get $q) (local.get $s1))
        (f64.store offset=16 (local.get $q) (local.get $s2))
        (f64.store offset=24 (local.get $q) (local.get $s3))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $cols4)))
    (block $done
      (loop $cols
        (br_if $done (i32.ge_u (local.get $k) (local.get $count)))
        (local.set $c (i32.add (local.get $X)
          (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2)))) (local.get $colBytes))))
        (local.set $a0 (v128.const i64x2 0 0))
        (local.set $a1 (v128.const i64x2 0 0))
        (local.set $off (i32.const 0))
        (block $rdone
          (loop $rows
            (br_if $rdone (i32.ge_u (local.get $off) (local.get $end4)))
            (local.set $a0 (f64x2.add (local.get $a0)
              (f64x2.mul (v128.load (i32.add (local.get $c) (local.get $off)))
                (f64x2.mul (v128.load (i32.add (local.get $w) (local.get $off))) (v128.load (i32.add (local.get $y) (local.get $off)))))))
            (local.set $a1 (f64x2.add (local.get $a1)
              (f64x2.mul (v128.load offset=16 (i32.add (local.get $c) (local.get $off)))
                (f64x2.mul (v128.load offset=16 (i32.add (local.get $w) (local.get $off))) (v128.load offset=16 (i32.add (local.get $y) (local.get $off)))))))
            (local.set $off (i32.add (local.get $off) (i32.const 32)))
            (br $rows)))
        (local.set $a0 (f64x2.add (local.get $a0) (local.get $a1)))
        (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))
        (block $tdone
          (loop $tail
            (br_if $tdone (i32.ge_u (local.get $off) (local.get $colBytes)))
            (local.set $s (f64.add (local.get $s)
              (f64.mul (f64.load (i32.add (local.get $c) (local.get $off)))
                (f64.mul (f64.load (i32.add (local.get $w) (local.get $off))) (f64.load (i32.add (local.get $y) (local.get $off)))))))
            (local.set $off (i32.add (local.get $off) (i32.const 8)))
            (br $tail)))
        (f64.store (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 3))) (local.get $s))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $cols))))

  ;; Column sums and sums of squares of rows [row0, row0 + rows) of columns [j0, j1), added to
  ;; sums[j] and ss[j] (f64 arrays indexed by column): blocks of 8 rows from row0, each summed as the
  ;; balanced tree ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) and added in order, then the
  ;; rows left one by one. Every way of building a kernel copy (a copy, a transpose strip by strip,
  ;; a CSC scatter) calls this with row0 a multiple of 8, so the statistics of equal entries are equal
  ;; bits. Two columns share each vector (one per lane): the tree is the same per lane.
  (func (export "col_sums") (param $X i32) (param $n i32) (param $row0 i32) (param $rows i32)
                            (param $j0 i32) (param $j1 i32) (param $sums i32) (param $ss i32)
    (local $j i32) (local $a i32) (local $b i32) (local $off i32) (local $end8 i32) (local $end i32)
    (local $colBytes i32) (local $u i32) (local $pa i32) (local $pb i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local $y0 v128) (local $y1 v128) (local $y2 v128) (local $y3 v128)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $v4 v128) (local $v5 v128) (local $v6 v128) (local $v7 v128)
    (local $s v128) (local $q v128) (local $t f64) (local $sa f64) (local $qa f64)
    (local.set $colBytes (i32.shl (local.get $n) (i32.const 3)))
    (local.set $end (i32.shl (local.get $rows) (i32.const 3)))
    (local.set $end8 (i32.and (local.get $end) (i32.const -64)))
    (local.set $j (local.get $j0))
    (block $done2
      (loop $cols2
        (br_if $done2 (i32.gt_u (i32.add (local.get $j) (i32.const 2)) (local.get $j1)))
        (local.set $a (i32.add (i32.add (local.get $X) (i32.mul (local.get $j) (local.get $colBytes)))
                               (i32.shl (local.get $row0) (i32.const 3))))
        (local.set $b (i32.add (local.get $a) (local.get $colBytes)))
        (local.set $u (i32.shl (local.get $j) (i32.const 3)))
        ;; lane 0: column j, lane 1: column j + 1
        (local.set $s (v128.load (i32.add (local.get $sums) (local.get $u))))
        (local.set $q (v128.load (i32.add (local.get $ss) (local.get $u))))
        (local.set $off (i32.const 0))
        (block $rdone
          (loop $rows8
            (br_if $rdone (i32.ge_u (local.get $off) (local.get $end8)))
            (local.set $pa (i32.add (local.get $a) (local.get $off)))
            (local.set $pb (i32.add (local.get $b) (local.get $off)))
            (local.set $x0 (v128.load (local.get $pa)))
            (local.set $x1 (v128.load offset=16 (local.get $pa)))
            (local.set $x2 (v128.load offset=32 (local.get $pa)))
            (local.set $x3 (v128.load offset=48 (local.get $pa)))
            (local.set $y0 (v128.load (local.get $pb)))
            (local.set $y1 (v128.load offset=16 (local.get $pb)))
            (local.set $y2 (v128.load offset=32 (local.get $pb)))
            (local.set $y3 (v128.load offset=48 (local.get $pb)))
            ;; v_k = (x_k of column j, x_k of column j + 1)
            (local.set $v0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $x0) (local.get $y0)))
            (local.set $v1 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $x0) (local.get $y0)))
            (local.set $v2 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $x1) (local.get $y1)))
            (local.set $v3 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $x1) (local.get $y1)))
            (local.set $v4 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $x2) (local.get $y2)))
            (local.set $v5 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $x2) (local.get $y2)))
            (local.set $v6 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $x3) (local.get $y3)))
            (local.set $v7 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $x3) (local.get $y3)))
            (local.set $s (f64x2.add (local.get $s)
              (f64x2.add
                (f64x2.add (f64x2.add (local.get $v0) (local.get $v1)) (f64x2.add (local.get $v2) (local.get $v3)))
                (f64x2.add (f64x2.add (local.get $v4) (local.get $v5)) (f64x2.add (local.get $v6) (local.get $v7))))))
            (local.set $q (f64x2.add (local.get $q)
              (f64x2.add
                (f64x2.add
                  (f64x2.add (f64x2.mul (local.get $v0) (local.get $v0)) (f64x2.mul (local.get $v1) (local.get $v1)))
                  (f64x2.add (f64x2.mul (local.get $v2) (local.get $v2)) (f64x2.mul (local.get $v3) (local.get $v3))))
                (f64x2.add
                  (f64x2.add (f64x2.mul (local.get $v4) (local.get $v4)) (f64x2.mul (local.get $v5) (local.get $v5)))
                  (f64x2.add (f64x2.mul (local.get $v6) (local.get $v6)) (f64x2.mul (local.get $v7) (local.get $v7)))))))
            (local.set $off (i32.add (local.get $off) (i32.const 64)))
            (br $rows8)))
        (block $tdone
          (loop $tail
            (br_if $tdone (i32.ge_u (local.get $off) (local.get $end)))
            (local.set $v0 (f64x2.replace_lane 1
              (f64x2.splat (f64.load (i32.add (local.get $a) (local.get $off))))
              (f64.load (i32.add (local.get $b) (local.get $off)))))
            (local.set $s (f64x2.add (local.get $s) (local.get $v0)))
            (local.set $q (f64x2.add (local.get $q) (f64x2.mul (local.get $v0) (local.get $v0))))
            (local.set $off (i32.add (local.get $off) (i32.const 8)))
            (br $tail)))
        (v128.store (i32.add (local.get $sums) (local.get $u)) (local.get $s))
        (v128.store (i32.add (local.get $ss) (local.get $u)) (local.get $q))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $cols2)))
    ;; An odd last column, scalar (the same association).
    (if (i32.lt_u (local.get $j) (local.get $j1))
      (then
        (local.set $a (i32.add (i32.add (local.get $X) (i32.mul (local.get $j) (local.get $colBytes)))
                               (i32.shl (local.get $row0) (i32.const 3))))
        (local.set $u (i32.shl (local.get $j) (i32.const 3)))
        (local.set $sa (f64.load (i32.add (local.get $sums) (local.get $u))))
        (local.set $qa (f64.load (i32.add (local.get $ss) (local.get $u))))
        (local.set $off (i32.const 0))
        (block $r1done
          (loop $r1
            (br_if $r1done (i32.ge_u (local.get $off) (local.get $end8)))
            (local.set $x0 (v128.load (i32.add (local.get $a) (local.get $off))))
            (local.set $x1 (v128.load offset=16 (i32.add (local.get $a) (local.get $off))))
            (local.set $x2 (v128.load offset=32 (i32.add (local.get $a) (local.get $off))))
            (local.set $x3 (v128.load offset=48 (i32.add (local.get $a) (local.get $off))))
            ;; lane sums of (x0, x1) etc. are x0 + x1: the same tree, two leaves per vector.
            (local.set $v0 (f64x2.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $x0) (local.get $x2))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $x0) (local.get $x2))))
            (local.set $v1 (f64x2.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $x1) (local.get $x3))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $x1) (local.get $x3))))
            ;; v0 = (x0 + x1, x4 + x5), v1 = (x2 + x3, x6 + x7)
            (local.set $v0 (f64x2.add (local.get $v0) (local.get $v1)))
            (local.set $sa (f64.add (local.get $sa)
              (f64.add (f64x2.extract_lane 0 (local.get $v0)) (f64x2.extract_lane 1 (local.get $v0)))))
            (local.set $x0 (f64x2.mul (local.get $x0) (local.get $x0)))
            (local.set $x1 (f64x2.mul (local.get $x1) (local.get $x1)))
            (local.set $x2 (f64x2.mul (local.get $x2) (local.get $x2)))
            (local.set $x3 (f64x2.mul (local.get $x3) (local.get $x3)))
            (local.set $v0 (f64x2.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $x0) (local.get $x2))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $x0) (local.get $x2))))
            (local.set $v1 (f64x2.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $x1) (local.get $x3))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $x1) (local.get $x3))))
            (local.set $v0 (f64x2.add (local.get $v0) (local.get $v1)))
            (local.set $qa (f64.add (local.get $qa)
              (f64.add (f64x2.extract_lane 0 (local.get $v0)) (f64x2.extract_lane 1 (local.get $v0)))))
            (local.set $off (i32.add (local.get $off) (i32.const 64)))
            (br $r1)))
        (block $t1done
          (loop $t1
            (br_if $t1done (i32.ge_u (local.get $off) (local.get $end)))
            (local.set $t (f64.load (i32.add (local.get $a) (local.get $off))))
            (local.set $sa (f64.add (local.get $sa) (local.get $t)))
            (local.set $qa (f64.add (local.get $qa) (f64.mul (local.get $t) (local.get $t))))
            (local.set $off (i32.add (local.get $off) (i32.const 8)))
            (br $t1)))
        (f64.store (i32.add (local.get $sums) (local.get $u)) (local.get $sa))
        (f64.store (i32.add (local.get $ss) (local.get $u)) (local.get $qa)))))
)
