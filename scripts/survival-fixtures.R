# Survival datasets and Cox reference fixtures.
#
# Provenance of what this script writes:
# - datasets/lung.csv, datasets/veteran.csv: the `lung` (NCCTG advanced lung cancer) and `veteran`
#   (Veterans' Administration lung cancer trial) data frames of the R package survival (Debian
#   package r-cran-survival, survival 3.5-3, LGPL (>= 2)), written unchanged (NA as an empty field).
# - test/fixtures/grpreg/coxph-lung.json: unpenalized Cox coefficients and log partial likelihoods
#   from survival::coxph (ties = "breslow" and "efron", unweighted and with integer case weights)
#   on the complete cases of lung.
# - test/fixtures/grpreg/grpsurv-veteran.json: group-lasso Cox coefficient paths from
#   grpreg::grpsurv, and from grpreg::cv.grpsurv (fixed 5 folds) its cross-validated linear
#   predictors and deviances (cv.grpsurv re-standardises each fold, so its fold fits are not those
#   of the fixed design: the fixture checks the scoring of given out-of-fold predictions) (grpreg 3.6.0, built from its source into a local library) on veteran. grpsurv
#   gives tied times risk sets in sort order rather than Breslow's, so the times are made distinct
#   first (tied times spread by 1e-3 × rank within the tie, which keeps their order); with distinct
#   times grpsurv's loss is the Breslow (= Efron) partial likelihood. The design is centred and
#   each group orthonormalised (X_gᵀX_g/n = I) before grpsurv sees it, so grpsurv's own
#   standardisation and group orthonormalisation leave the problem unchanged and its coefficients
#   are those of the design written in the fixture.
#
# Run from the repository root (R with survival; grpreg in the library given by R_LIBS):
#   R_LIBS=/work/rlib Rscript scripts/survival-fixtures.R
suppressPackageStartupMessages({
  library(survival)
  library(grpreg)
})

dir.create("test/fixtures/grpreg", recursive = TRUE, showWarnings = FALSE)
write.csv(survival::lung, "datasets/lung.csv", row.names = FALSE, na = "")
write.csv(survival::veteran, "datasets/veteran.csv", row.names = FALSE, na = "")

num <- function(x) paste0("[", paste(sprintf("%.17g", x), collapse = ", "), "]")
mat <- function(m) paste0("[", paste(apply(m, 2, num), collapse = ",\n  "), "]") # column by column
str <- function(x) paste0("[", paste0('"', x, '"', collapse = ", "), "]")

## coxph on lung (complete cases of the covariates used).
vars <- c("age", "sex", "ph.ecog", "ph.karno", "wt.loss")
L <- survival::lung[complete.cases(survival::lung[, c("time", "status", vars)]), c("time", "status", vars)]
L$event <- L$status - 1 # lung codes 1 = censored, 2 = dead
wts <- (seq_len(nrow(L)) %% 3) + 1 # integer case weights 1, 2, 3, ...
fits <- list()
for (ties in c("breslow", "efron")) {
  for (weighted in c(FALSE, TRUE)) {
    f <- if (weighted) {
      coxph(Surv(time, event) ~ age + sex + ph.ecog + ph.karno + wt.loss, data = L, ties = ties, weights = wts,
            control = coxph.control(eps = 1e-11, iter.max = 100))
    } else {
      coxph(Surv(time, event) ~ age + sex + ph.ecog + ph.karno + wt.loss, data = L, ties = ties,
            control = coxph.control(eps = 1e-11, iter.max = 100))
    }
    fits[[length(fits) + 1]] <- sprintf('{"ties": "%s", "weighted": %s, "coef": %s, "loglik": %s}',
      ties, tolower(weighted), num(unname(coef(f))), sprintf("%.17g", f$loglik[2]))
  }
}
cat(sprintf('{\n"source": "survival::coxph (survival %s) on survival::lung complete cases",\n"columns": %s,\n"time": %s,\n"status": %s,\n"X": %s,\n"weights": %s,\n"fits": [%s]\n}\n',
  as.character(packageVersion("survival")), str(vars), num(L$time), num(L$event),
  mat(as.matrix(L[, vars])), num(wts), paste(unlist(fits), collapse = ",\n")),
  file = "test/fixtures/grpreg/coxph-lung.json")

## grpsurv and cv.grpsurv on veteran, rows sorted by (tie-broken) time: cv.grpsurv's `fold`
## indexes the rows in grpsurv's time order, which is then the order of the fixture.
V <- survival::veteran
rk0 <- ave(seq_len(nrow(V)), V$time, FUN = function(i) seq_along(i) - 1)
V <- V[order(V$time + 1e-3 * rk0), ]
X0 <- cbind(trt = V$trt, model.matrix(~ celltype, V)[, -1], karno = V$karno, diagtime = V$diagtime,
            age = V$age, prior = V$prior)
group <- c("trt", "celltype", "celltype", "celltype", "karno", "diagtime", "age", "prior")
n <- nrow(X0)
X <- scale(X0, center = TRUE, scale = FALSE)
for (g in unique(group)) {
  j <- which(group == g)
  q <- qr.Q(qr(X[, j, drop = FALSE]))
  X[, j] <- q * sqrt(n) # X_gᵀX_g/n = I
}
attributes(X) <- list(dim = dim(X))
rk <- ave(seq_len(n), V$time, FUN = function(i) seq_along(i) - 1)
time <- V$time + 1e-3 * rk
fit <- grpsurv(X, cbind(time, V$status), group = factor(group, levels = unique(group)), penalty = "grLasso",
               nlambda = 30, lambda.min = 0.02, eps = 1e-12, max.iter = 1e6)
fold <- (seq_len(n) %% 5) + 1
cvfit <- cv.grpsurv(X, cbind(time, V$status), group = factor(group, levels = unique(group)), penalty = "grLasso",
                    lambda = fit$lambda, fold = fold, eps = 1e-12, max.iter = 1e6, returnY = TRUE)
cat(sprintf('{\n"source": "grpreg::grpsurv (grpreg %s, penalty grLasso) on survival::veteran, times made distinct, design centred and group-orthonormalised",\n"columns": %s,\n"group": %s,\n"time": %s,\n"status": %s,\n"X": %s,\n"lambda": %s,\n"beta": %s,\n"loss": %s,\n"fold": %s,\n"cve": %s,\n"cvse": %s,\n"cvEta": %s\n}\n',
  as.character(packageVersion("grpreg")), str(colnames(X0)), str(group), num(time), num(V$status), mat(X),
  num(fit$lambda), mat(fit$beta), num(fit$deviance / 2), num(fold), num(cvfit$cve), num(cvfit$cvse), mat(cvfit$Y)),
  file = "test/fixtures/grpreg/grpsurv-veteran.json")
cat("wrote datasets/lung.csv, datasets/veteran.csv, test/fixtures/grpreg/{coxph-lung,grpsurv-veteran}.json\n")
