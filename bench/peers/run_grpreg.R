# Times grpreg on problems written by bench/peers.bench.ts (same data, same run).
# Usage: Rscript run_grpreg.R MANIFEST.json OUT.json   (grpreg found in GROUPSPARSE_RLIB or /work/rlib)
# The design arrives with orthonormal, centred groups (X_g'X_g/n = I), so grpreg's own
# standardization and orthonormalization leave it unchanged and it solves the same problem.
args <- commandArgs(trailingOnly = TRUE)
lib <- Sys.getenv("GROUPSPARSE_RLIB", "/work/rlib")
.libPaths(c(lib, .libPaths()))
ok <- suppressWarnings(suppressMessages(requireNamespace("grpreg", quietly = TRUE)))
json_num <- function(x) paste0("[", paste(format(x, digits = 17), collapse = ","), "]")
if (!ok) {
  writeLines('{"grpreg": {"skipped": "grpreg is not installed"}}', args[2])
  quit(status = 0)
}
txt <- paste(readLines(args[1], warn = FALSE), collapse = "")
field <- function(name) regmatches(txt, regexec(paste0('"', name, '":\\s*("[^"]*"|\\[[^]]*\\]|[^,}]*)'), txt))[[1]][2]
n <- as.integer(field("n")); p <- as.integer(field("p"))
X <- matrix(readBin(gsub('"', "", field("X")), "double", n * p), n, p)
y <- readBin(gsub('"', "", field("y")), "double", n)
sizes <- as.integer(strsplit(gsub("\\[|\\]", "", field("groupSizes")), ",")[[1]])
lambdas <- as.numeric(strsplit(gsub("\\[|\\]", "", field("lambdas")), ",")[[1]])
loss <- gsub('"', "", field("loss"))
reps <- as.integer(field("reps"))
eps <- as.numeric(field("grpregEps"))
nfolds <- as.integer(field("cvFolds"))
group <- rep(seq_along(sizes), sizes)
family <- if (loss == "logistic") "binomial" else if (loss == "poisson") "poisson" else "gaussian"
fit <- function() grpreg::grpreg(X, y, group, penalty = "grLasso", family = family, lambda = lambdas,
                                  eps = eps, max.iter = 1e6)
fit() # warm-up, not timed
times <- numeric(reps)
# "cpu": user + system time of this process (what a loaded shared machine distorts least).
clock <- gsub('"', "", field("clock"))
took <- function(st) if (identical(clock, "cpu")) st[["user.self"]] + st[["sys.self"]] else st[["elapsed"]]
for (r in seq_len(reps)) times[r] <- took(system.time(f <- fit()))
beta <- f$beta # (p + 1) × nλ, intercept first
coefFile <- paste0(args[2], ".grpreg.coef.bin")
writeBin(as.vector(beta[-1, , drop = FALSE]), coefFile)
out <- paste0('{"grpreg": {"seconds": ', format(median(times), digits = 17), ', "coefFile": "', coefFile,
              '", "intercepts": ', json_num(beta[1, ]))
if (!is.na(nfolds) && nfolds > 1) {
  # Warm-up, not timed (as the single fits and as groupsparse's cross-validation).
  set.seed(100)
  invisible(grpreg::cv.grpreg(X, y, group, penalty = "grLasso", family = family, lambda = lambdas, eps = eps, max.iter = 1e6, nfolds = nfolds))
  cvt <- numeric(reps)
  for (r in seq_len(reps)) {
    set.seed(r)
    cvt[r] <- took(system.time(grpreg::cv.grpreg(X, y, group, penalty = "grLasso", family = family, lambda = lambdas,
                                            eps = eps, max.iter = 1e6, nfolds = nfolds)))
  }
  out <- paste0(out, ', "cvSeconds": ', format(median(cvt), digits = 17))
}
writeLines(paste0(out, "}}"), args[2])
