package org.stageforge.server.web;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Debian's headless chromium driven through Debian's chromedriver (Selenium finds nothing to download: both
 * paths are given). Tests skip, with the reason, where the packages are not installed.
 */
final class Chromium {
    static final Path BROWSER = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    private Chromium() {}

    static ChromeDriver start(Path profile) {
        Assumptions.assumeTrue(Files.isExecutable(BROWSER) && Files.isExecutable(DRIVER),
                "Debian chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)");
        System.setProperty("webdriver.chrome.driver", DRIVER.toString());
        ChromeOptions o = new ChromeOptions();
        o.setBinary(BROWSER.toFile());
        o.addArguments("--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1280,1000", "--user-data-dir=" + profile.toAbsolutePath());
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort().build();
        return new ChromeDriver(service, o);
    }

    /** A screenshot of the page, decoded; fails unless it is a real picture (not one flat colour). */
    static BufferedImage screenshot(ChromeDriver d, Path saveAs) throws IOException {
        byte[] png = ((TakesScreenshot) d).getScreenshotAs(OutputType.BYTES);
        Files.write(saveAs, png);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        if (img == null) throw new AssertionError("the screenshot is not a PNG");
        return img;
    }

    /** How many distinct colours a picture has, and the share of pixels that are not the background (bottom-right) colour. */
    record Ink(int colours, double share) {}

    static Ink ink(BufferedImage img) {
        Set<Integer> colours = new HashSet<>();
        int bg = img.getRGB(img.getWidth() - 1, img.getHeight() - 1);
        long other = 0;
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                int c = img.getRGB(x, y);
                colours.add(c);
                if (c != bg) other++;
            }
        }
        return new Ink(colours.size(), other / (double) ((img.getHeight() + 1) / 2 * ((img.getWidth() + 1) / 2)));
    }
}
