// The page's own record of what went wrong, for drivers that report no console messages (classic
// WebDriver: tests/engines/webdriver.mjs): uncaught errors, unhandled rejections, console.error
// and console.warn, as strings in `self.problems`. A classic script, first on the page; worker.mjs
// imports it too, and sends what its worker recorded back with its result.
(() => {
  const problems = (self.problems = []);
  const text = (args) => args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : String(a))).join(" ");
  for (const level of ["error", "warn"]) {
    const original = console[level].bind(console);
    console[level] = (...args) => {
      problems.push(`console.${level}: ${text(args)}`);
      original(...args);
    };
  }
  self.addEventListener("error", (e) =>
    problems.push(`error: ${e.message || e.error || (e.target && e.target.src) || "(a resource failed to load)"}`),
  );
  self.addEventListener("unhandledrejection", (e) => problems.push(`unhandledrejection: ${text([e.reason])}`));
})();
