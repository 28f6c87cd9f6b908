package org.stageforge.pipeline;

import org.stageforge.configure.ConfigureResult;
import org.stageforge.configure.Configurator;
import org.stageforge.configure.SystemConfig;
import org.stageforge.merge.FileTable;
import org.stageforge.merge.RootFiles;
import org.stageforge.phase.LocaleGen;
import org.stageforge.spec.SystemSpec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Adapter from the spec's {@code [system]} section to the configuration library ({@link Configurator}): builds the
 * {@link SystemConfig}, applies it with "now" = SOURCE_DATE_EPOCH (shadow's last-change day is then reproducible)
 * and records the owners and modes a normal user cannot set in the root's file table, which the packer reads.
 */
final class SystemConfigurer {
    private SystemConfigurer() {}

    static SystemConfig toConfig(SystemSpec s) {
        SystemConfig c = SystemConfig.empty();
        if (s.init() != null) c = c.withInit(s.init().equals("systemd") ? SystemConfig.InitSystem.SYSTEMD : SystemConfig.InitSystem.OPENRC);
        else if (!s.openrc().isEmpty()) c = c.withInit(SystemConfig.InitSystem.OPENRC);
        else if (!s.systemd().isEmpty()) c = c.withInit(SystemConfig.InitSystem.SYSTEMD);
        if (s.hostname() != null) c = c.withHostname(s.hostname());
        if (!s.locales().isEmpty() || s.lang() != null) c = c.withLocales(s.locales(), s.lang(), s.lcCollate());
        if (s.timezone() != null) c = c.withTimezone(s.timezone());
        if (s.keymap() != null) c = c.withKeymap(s.keymap());
        List<SystemConfig.FstabEntry> fstab = new ArrayList<>();
        for (SystemSpec.Fstab f : s.fstab()) {
            fstab.add(new SystemConfig.FstabEntry(f.device(), f.mountpoint(), f.type(), f.options(), f.dump(), f.pass()));
        }
        c = c.withFstab(fstab);
        List<SystemConfig.Group> groups = new ArrayList<>();
        for (SystemSpec.Group g : s.groups()) groups.add(new SystemConfig.Group(g.name(), g.gid() == null ? -1 : g.gid()));
        List<SystemConfig.User> users = new ArrayList<>();
        for (SystemSpec.User u : s.users()) {
            users.add(new SystemConfig.User(u.name(), u.uid() == null ? -1 : u.uid(), u.group(), u.groups(), u.comment(),
                    u.home(), u.shell(), u.password(), false, u.authorizedKeys(), true));
        }
        c = c.withAccounts(groups, users);
        if (s.rootPassword() != null || s.rootLocked()) c = c.withRoot(s.rootPassword(), s.rootLocked());
        List<SystemConfig.Service> services = new ArrayList<>();
        for (String o : s.openrc()) {
            int colon = o.indexOf(':');
            services.add(new SystemConfig.Service(colon < 0 ? o : o.substring(0, colon), colon < 0 ? null : o.substring(colon + 1),
                    SystemConfig.Service.Action.ENABLE));
        }
        for (String u : s.systemd()) services.add(SystemConfig.Service.enable(u));
        return c.withServices(services);
    }

    /**
     * Applies {@code system} to {@code root}. With {@code localeGenWork} (a scratch directory; null when the spec
     * runs nothing from the packages) and a root with its own localedef, the locales are built now
     * ({@link LocaleGen}); every other first-boot step is printed as a warning, since the stage is not complete
     * until someone runs it.
     */
    static String apply(SystemSpec system, Path root, long sourceDateEpoch, Path localeGenWork, Reporter rep) {
        if (system.equals(SystemSpec.EMPTY)) {
            rep.log("no [system] section: nothing to configure");
            return "empty";
        }
        ConfigureResult r = Configurator.configure(root, toConfig(system), sourceDateEpoch);
        for (ConfigureResult.FileAction a : r.changes()) rep.action(a.kind().name().toLowerCase(), "/" + a.path()
                + (a.detail().isEmpty() ? "" : " -> " + a.detail()));
        for (String w : r.warnings()) rep.warning("configure: " + w);
        FileTable table = FileTable.load(root);
        r.applyTo(table);
        String archive = "";
        for (String f : r.firstBoot()) {
            if (f.startsWith("locale-gen") && localeGenWork != null && LocaleGen.available(root)) {
                for (LocaleGen.Built b : LocaleGen.run(root, localeGenWork, Duration.ofMinutes(30))) {
                    rep.action("locale-gen", b.name());
                    if (!b.output().isEmpty()) rep.log(b.output());
                }
                table.put(LocaleGen.ARCHIVE, new FileTable.Entry('f', 0644, 0, 0, 0, 0, null));
                archive = Build.sha256(RootFiles.resolve(root, LocaleGen.ARCHIVE));
            } else {
                rep.warning("first boot: " + f);
            }
        }
        table.save(root);
        return Build.sha256(r.changes().toString() + r.intents() + archive);
    }
}
