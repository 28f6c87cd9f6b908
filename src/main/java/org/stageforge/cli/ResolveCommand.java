package org.stageforge.cli;

import org.stageforge.profile.PortageConfig;
import org.stageforge.resolve.Binhost;
import org.stageforge.resolve.EbuildRepository;
import org.stageforge.resolve.PlanFormat;
import org.stageforge.resolve.ResolvePlan;
import org.stageforge.resolve.ResolveRequest;
import org.stageforge.resolve.Resolver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code stageforge resolve}: what {@code emerge --usepkgonly --pretend -v} would merge, or with {@code --repo}
 * what {@code emerge --usepkg --pretend -v} would build and merge.
 */
@Command(name = "resolve", mixinStandardHelpOptions = true,
        description = "Resolve targets against binhosts as emerge --usepkgonly does (with --repo: against ebuild "
                + "repositories too, as emerge --usepkg) and print the merge list.")
public final class ResolveCommand implements Runnable {
    @Option(names = "--config-root", required = true, paramLabel = "DIR",
            description = "Portage config root (etc/portage/make.conf, make.profile, repos.conf, package.*).")
    Path configRoot;

    @Option(names = "--binhost", paramLabel = "URL_OR_DIR",
            description = "Binhost (directory or http(s) URL) holding a Packages index; repeatable, first wins ties.")
    List<String> binhosts = new ArrayList<>();

    @Option(names = "--repo", paramLabel = "DIR",
            description = "Ebuild repository with metadata/md5-cache: what no binhost has with the configured USE is "
                    + "built from source ([ebuild] lines); repeatable, a later one wins ties (an overlay after the main repository).")
    List<Path> repos = new ArrayList<>();

    @Option(names = "--from-source", paramLabel = "missing|all|ATOM,...", split = ",",
            description = "With --repo: build only what is missing (default), everything, or the listed packages from source.")
    List<String> fromSource = new ArrayList<>();

    @Option(names = "--root", paramLabel = "DIR", description = "Existing root whose installed packages and world file count.")
    Path root;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Where remote indexes are cached (default: a temporary directory).")
    Path cacheDir;

    @Option(names = "--nodeps", description = "Only the targets, no dependencies.")
    boolean nodeps;

    @Option(names = "--oneshot", description = "Do not add the targets to the world file.")
    boolean oneshot;

    @Option(names = "--noreplace", description = "Skip targets that are already installed.")
    boolean noreplace;

    @Option(names = "--binpkg-respect-use", paramLabel = "y|n",
            description = "Only use binary packages built with the configured USE (default n, as emerge --usepkgonly).")
    String respectUse = "n";

    @Option(names = "--idepend-in-root", description = "Merge IDEPEND into the root too (Portage resolves it on the host).")
    boolean idependInRoot;

    @Option(names = "--json", description = "Print the plan as JSON.")
    boolean json;

    @Parameters(arity = "1..*", paramLabel = "TARGET", description = "Atoms or sets (@system, @world, @selected, user sets).")
    List<String> targets;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (!respectUse.equals("y") && !respectUse.equals("n")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--binpkg-respect-use takes y or n");
        }
        if (binhosts.isEmpty() && repos.isEmpty()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give at least one --binhost or --repo");
        }
        ResolveRequest.FromSource fs = fromSource.equals(List.of("all")) ? ResolveRequest.FromSource.ALL
                : fromSource.isEmpty() || fromSource.equals(List.of("missing")) ? ResolveRequest.FromSource.MISSING
                : ResolveRequest.FromSource.listed(fromSource);
        PortageConfig config = PortageConfig.load(configRoot, System.getenv());
        Path cache = cacheDir != null ? cacheDir : Path.of(System.getProperty("java.io.tmpdir"), "stageforge-binhost-cache");
        List<Binhost> hosts = new ArrayList<>();
        for (String b : binhosts) hosts.add(Binhost.load(b, cache));
        ResolveRequest.Options o = new ResolveRequest.Options(nodeps, oneshot, noreplace, respectUse.equals("y"), idependInRoot, fs);
        List<EbuildRepository> ebuildRepos = new ArrayList<>();
        for (Path r : repos) ebuildRepos.add(EbuildRepository.at(r, 0));
        ResolvePlan plan = Resolver.resolve((root == null ? ResolveRequest.of(config, hosts, targets, o)
                : ResolveRequest.forRoot(config, hosts, root, targets, o)).withRepositories(ebuildRepos));
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? PlanFormat.json(plan) : PlanFormat.pretend(plan, config));
        out.flush();
    }
}
