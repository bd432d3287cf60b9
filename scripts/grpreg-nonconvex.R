# Reference paths of grpreg's group MCP and group SCAD (penalty = "grMCP" / "grSCAD") for
# test/nonconvex.test.ts, on designs whose groups are already centred and orthonormal
# (X_g'X_g/n = I), so that grpreg's own standardization and orthogonalization leave the problem
# unchanged and both libraries solve the same objective
#   (1/(2n)) ||y - b - X beta||^2 + sum_g rho(||beta_g||; lambda sqrt(K_g), gamma).
# Run: Rscript scripts/grpreg-nonconvex.R  (needs grpreg; R_LIBS may point at a local library)
# Writes test/fixtures/grpreg/nonconvex.json.
suppressMessages(library(grpreg))

orthonormal_groups <- function(X, group) {
  n <- nrow(X)
  X <- scale(X, center = TRUE, scale = FALSE)
  for (g in unique(group)) {
    j <- which(group == g)
    q <- qr.Q(qr(X[, j, drop = FALSE]))
    X[, j] <- q * sqrt(n)
  }
  attr(X, "scaled:center") <- NULL
  X
}

mcp <- function(t, l, a) ifelse(t <= a * l, l * t - t^2 / (2 * a), a * l^2 / 2)
scad <- function(t, l, a) ifelse(t <= l, l * t, ifelse(t <= a * l, (2 * a * l * t - t^2 - l^2) / (2 * (a - 1)), l^2 * (a + 1) / 2))

make_case <- function(name, seed, n, sizes, active, penalty, gamma) {
  set.seed(seed)
  group <- rep(seq_along(sizes), sizes)
  p <- length(group)
  Z <- matrix(rnorm(n * p), n, p)
  # correlated neighbours, so that the problem is not separable
  X <- Z + 0.5 * cbind(0, Z[, -p])
  X <- orthonormal_groups(X, group)
  beta <- rep(0, p)
  for (g in active) beta[group == g] <- rnorm(sum(group == g), sd = 1)
  y <- drop(1 + X %*% beta + rnorm(n))
  fit <- grpreg(X, y, group, penalty = penalty, gamma = gamma, nlambda = 30, eps = 1e-10, max.iter = 1e6)
  K <- as.numeric(table(group))
  rho <- if (penalty == "grMCP") mcp else scad
  obj <- sapply(seq_along(fit$lambda), function(k) {
    b0 <- fit$beta[1, k]
    b <- fit$beta[-1, k]
    r <- y - b0 - drop(X %*% b)
    norms <- tapply(b, group, function(v) sqrt(sum(v^2)))
    sum(r^2) / (2 * n) + sum(rho(norms, fit$lambda[k] * sqrt(K), gamma))
  })
  selected <- lapply(seq_along(fit$lambda), function(k) {
    norms <- tapply(fit$beta[-1, k], group, function(v) sqrt(sum(v^2)))
    as.integer(which(norms > 0) - 1)
  })
  list(
    name = name, penalty = penalty, gamma = gamma, n = n, p = p,
    group = as.integer(group - 1), X = as.vector(X), y = y,
    lambda = fit$lambda, objective = obj, selected = selected,
    coef = lapply(seq_along(fit$lambda), function(k) unname(fit$beta[-1, k])),
    intercept = unname(fit$beta[1, ])
  )
}

cases <- list(
  make_case("mcp-n120-p30", 11, 120, rep(3, 10), c(2, 5, 9), "grMCP", 3),
  make_case("scad-n120-p30", 12, 120, rep(3, 10), c(1, 4, 7), "grSCAD", 4),
  make_case("mcp-n80-mixed", 13, 80, c(1, 2, 4, 3, 5, 2, 3, 4), c(3, 6), "grMCP", 2.5),
  make_case("scad-n80-mixed", 14, 80, c(2, 3, 1, 4, 2, 5, 3), c(2, 5), "grSCAD", 3.7)
)
out <- list(
  generator = "scripts/grpreg-nonconvex.R",
  grpreg = as.character(packageVersion("grpreg")),
  R = R.version.string,
  cases = cases
)
dir.create("test/fixtures/grpreg", recursive = TRUE, showWarnings = FALSE)
con <- file("test/fixtures/grpreg/nonconvex.json", "w")
# A minimal JSON writer (no jsonlite dependency): numbers with 17 significant digits.
num <- function(x) paste0("[", paste(formatC(x, digits = 17, format = "g"), collapse = ","), "]")
int <- function(x) paste0("[", paste(x, collapse = ","), "]")
case_json <- function(c) paste0(
  "{\"name\":\"", c$name, "\",\"penalty\":\"", c$penalty, "\",\"gamma\":", formatC(c$gamma, digits = 17, format = "g"),
  ",\"n\":", c$n, ",\"p\":", c$p, ",\"group\":", int(c$group), ",\"X\":", num(c$X), ",\"y\":", num(c$y),
  ",\"lambda\":", num(c$lambda), ",\"objective\":", num(c$objective),
  ",\"selected\":[", paste(sapply(c$selected, int), collapse = ","), "]",
  ",\"coef\":[", paste(sapply(c$coef, num), collapse = ","), "]",
  ",\"intercept\":", num(c$intercept), "}")
cat("{\"generator\":\"", out$generator, "\",\"grpreg\":\"", out$grpreg, "\",\"R\":\"", out$R, "\",\"cases\":[",
    paste(sapply(cases, case_json), collapse = ","), "]}\n", file = con, sep = "")
close(con)
