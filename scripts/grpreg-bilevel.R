# Reference paths of grpreg's bi-level penalties, composite MCP (penalty = "cMCP") and the group
# exponential lasso (penalty = "gel"), for test/bilevel.test.ts. grpreg fits these on a design
# whose columns it standardizes (mean 0, sum(x^2)/n = 1) and does not orthogonalize; the design is
# standardized here first, so that grpreg's own standardization leaves it unchanged and both
# libraries solve the same objective
#   (1/(2n)) ||y - b - X beta||^2 + sum_g P_g(beta_g)          (gaussian)
#   mean negative log-likelihood + sum_g P_g(beta_g)           (binomial)
# with group multiplier m_g = 1 (grpreg's default for bi-level penalties), l = lambda m_g and
#   cMCP: P_g = MCP(sum_j MCP(|beta_j|; sqrt(l), gamma); sqrt(l), K_g gamma sqrt(l) / 2)
#   gel:  P_g = (l^2 / tau) (1 - exp(-tau ||beta_g||_1 / l))
# (src/lcdfit_gaussian.c: the rates dMCP(sG, ...) * dMCP(b_j, ...) and lam1 exp(-tau sG / lam1)).
# Data: grpreg's Birthwt (age and lwt as cubic polynomials, race, smoke, ptl, ht, ui, ftv) and R's
# datasets::airquality (complete cases; Ozone from orthogonal cubic polynomials of Solar.R, Wind, Temp and the
# month as a factor).
# Run: R_LIBS=/path/to/lib Rscript scripts/grpreg-bilevel.R   (needs grpreg)
# Writes test/fixtures/grpreg/bilevel.json.
suppressMessages(library(grpreg))

standardize_cols <- function(X) {
  n <- nrow(X)
  X <- sweep(X, 2, colMeans(X))
  X <- sweep(X, 2, sqrt(colSums(X^2) / n), "/")
  unname(X)
}

mcp <- function(t, l, a) { t <- abs(t); ifelse(t <= a * l, l * t - t^2 / (2 * a), a * l^2 / 2) }
pen_value <- function(penalty, b, group, lambda, gamma, tau) {
  s <- 0
  for (g in unique(group)) {
    bg <- b[group == g]
    K <- length(bg)
    if (penalty == "cMCP") {
      li <- sqrt(lambda)
      s <- s + mcp(sum(mcp(bg, li, gamma)), li, K * gamma * li / 2)
    } else {
      s <- s + lambda^2 / tau * (1 - exp(-tau * sum(abs(bg)) / lambda))
    }
  }
  s
}

make_case <- function(name, X, y, group, penalty, family, gamma = 3, tau = 1/3, nlambda = 30, lambda.min = 0.05) {
  X <- standardize_cols(X)
  n <- nrow(X)
  fit <- grpreg(X, y, group, penalty = penalty, family = family, gamma = gamma, tau = tau,
                nlambda = nlambda, lambda.min = lambda.min, eps = 1e-12, max.iter = 1e7)
  obj <- sapply(seq_along(fit$lambda), function(k) {
    b0 <- fit$beta[1, k]
    b <- fit$beta[-1, k]
    eta <- b0 + drop(X %*% b)
    loss <- if (family == "gaussian") sum((y - eta)^2) / (2 * n) else mean(log1p(exp(eta)) - y * eta)
    loss + pen_value(penalty, b, group, fit$lambda[k], gamma, tau)
  })
  gi <- as.integer(factor(group, levels = unique(group)))
  selected <- lapply(seq_along(fit$lambda), function(k) {
    b <- fit$beta[-1, k]
    as.integer(which(tapply(b, gi, function(v) any(v != 0))) - 1)
  })
  list(name = name, penalty = penalty, family = family, gamma = gamma, tau = tau, n = n, p = ncol(X),
       group = gi - 1L, X = as.vector(X), y = as.numeric(y), lambda = fit$lambda, objective = obj,
       selected = selected, coef = lapply(seq_along(fit$lambda), function(k) unname(fit$beta[-1, k])),
       intercept = unname(fit$beta[1, ]), iter = fit$iter)
}

data(Birthwt)
bX <- Birthwt$X
bgroup <- as.character(Birthwt$group)
aq <- na.omit(airquality)
aX <- cbind(poly(aq$Solar.R, 3), poly(aq$Wind, 3), poly(aq$Temp, 3),
            model.matrix(~ factor(Month), aq)[, -1])
agroup <- c(rep("solar", 3), rep("wind", 3), rep("temp", 3), rep("month", 4))
ay <- aq$Ozone

cases <- list(
  make_case("birthwt-bwt-cMCP", bX, Birthwt$bwt, bgroup, "cMCP", "gaussian"),
  make_case("birthwt-bwt-gel", bX, Birthwt$bwt, bgroup, "gel", "gaussian"),
  make_case("birthwt-low-cMCP", bX, Birthwt$low, bgroup, "cMCP", "binomial", nlambda = 20, lambda.min = 0.1),
  make_case("airquality-cMCP-g2.5", aX, ay, agroup, "cMCP", "gaussian", gamma = 2.5),
  make_case("airquality-gel-t0.2", aX, ay, agroup, "gel", "gaussian", tau = 0.2)
)

dir.create("test/fixtures/grpreg", recursive = TRUE, showWarnings = FALSE)
con <- file("test/fixtures/grpreg/bilevel.json", "w")
# A minimal JSON writer (no jsonlite dependency): numbers with 17 significant digits.
num <- function(x) paste0("[", paste(formatC(x, digits = 17, format = "g"), collapse = ","), "]")
int <- function(x) paste0("[", paste(x, collapse = ","), "]")
case_json <- function(c) paste0(
  "{\"name\":\"", c$name, "\",\"penalty\":\"", c$penalty, "\",\"family\":\"", c$family,
  "\",\"gamma\":", formatC(c$gamma, digits = 17, format = "g"), ",\"tau\":", formatC(c$tau, digits = 17, format = "g"),
  ",\"n\":", c$n, ",\"p\":", c$p, ",\"group\":", int(c$group), ",\"X\":", num(c$X), ",\"y\":", num(c$y),
  ",\"lambda\":", num(c$lambda), ",\"objective\":", num(c$objective),
  ",\"selected\":[", paste(sapply(c$selected, int), collapse = ","), "]",
  ",\"coef\":[", paste(sapply(c$coef, num), collapse = ","), "]",
  ",\"intercept\":", num(c$intercept), ",\"iter\":", int(c$iter), "}")
cat("{\"generator\":\"scripts/grpreg-bilevel.R\",\"grpreg\":\"", as.character(packageVersion("grpreg")),
    "\",\"R\":\"", R.version.string, "\",\"cases\":[", paste(sapply(cases, case_json), collapse = ","), "]}\n", file = con, sep = "")
close(con)
