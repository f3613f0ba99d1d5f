package dev.modelfleet.e2e.console;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.modelfleet.e2e.Waits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's Chromium, headless, driven through its chromedriver: a fresh profile per browser, no
 * download of any browser or driver (Selenium Manager never runs: both paths are given). Tests that
 * need one are skipped where the packages are not installed ({@code apt-get install chromium
 * chromium-driver}).
 */
final class ConsoleBrowser implements AutoCloseable {

  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  private final ChromeDriver driver;
  private final Path profile;
  private final URI base;

  private ConsoleBrowser(URI base) throws IOException {
    this.base = base;
    this.profile = Files.createTempDirectory("modelfleet-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--user-data-dir=" + profile);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    this.driver = new ChromeDriver(service, options);
    driver.manage().window().setSize(new Dimension(1280, 900));
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
  }

  /** Skips the calling test (an assumption) where Chromium or its driver is not installed. */
  static ConsoleBrowser open(URI base) throws IOException {
    assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "the browser tests need Debian's chromium and chromium-driver packages");
    return new ConsoleBrowser(base);
  }

  ChromeDriver driver() {
    return driver;
  }

  void go(String path) {
    driver.get(base.resolve(path).toString());
  }

  String path() {
    return URI.create(driver.getCurrentUrl()).getPath();
  }

  /** Signs in through the form, as a person would. */
  void signIn(String token) {
    go("/console/login");
    driver.findElement(By.id("token")).sendKeys(token);
    driver.findElement(By.id("sign-in")).click();
    await("the overview after signing in", () -> path().equals("/console"));
  }

  WebElement find(String css) {
    return driver.findElement(By.cssSelector(css));
  }

  boolean present(String css) {
    return !driver.findElements(By.cssSelector(css)).isEmpty();
  }

  /**
   * The element's visible text, read in one script call: live updates replace fragments at any
   * moment, so an element found in one call may be gone (stale) by the next.
   */
  String text(String css) {
    Object text =
        script(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText.trim() : '';",
            css);
    return text == null ? "" : text.toString();
  }

  Object script(String js, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(js, args);
  }

  Object asyncScript(String js, Object... args) {
    return ((JavascriptExecutor) driver).executeAsyncScript(js, args);
  }

  void await(String what, java.util.function.BooleanSupplier condition) {
    await(what, Duration.ofSeconds(60), condition);
  }

  void await(String what, Duration timeout, java.util.function.BooleanSupplier condition) {
    Waits.until(what, timeout, () -> condition.getAsBoolean() ? Boolean.TRUE : null);
  }

  /**
   * Saves what the browser shows to docs/console/{name}.png, the page's full height: these are the
   * screenshots docs/console.md and the README show.
   */
  void screenshot(Path docs, String name) {
    Dimension before = driver.manage().window().getSize();
    Number height = (Number) script("return document.documentElement.scrollHeight");
    driver
        .manage()
        .window()
        .setSize(new Dimension(1280, Math.min(2400, Math.max(900, height.intValue() + 40))));
    try {
      Path png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath();
      Files.createDirectories(docs);
      Files.copy(png, docs.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      driver.manage().window().setSize(before);
    }
  }

  @Override
  public void close() throws IOException {
    driver.quit();
    try (var paths = Files.walk(profile)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
