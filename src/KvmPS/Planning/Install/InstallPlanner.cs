using System.Collections.Generic;
using System.Linq;
using KvmPS.Facts;
using KvmPS.Planning.Capability;
using KvmPS.Transport;

namespace KvmPS.Planning.Install;

/// <summary>One step of an install plan: what it achieves and the commands that do it.</summary>
internal sealed class InstallStep
{
    public InstallStep(string title, IReadOnlyList<RemoteCommand> commands)
    {
        Title = title;
        Commands = commands;
    }

    public string Title { get; }

    public IReadOnlyList<RemoteCommand> Commands { get; }
}

/// <summary>What Install-KvmHost will do on one host, given its facts now.</summary>
internal sealed class InstallPlan
{
    public InstallPlan(HostPlatform platform, IReadOnlyList<InstallStep> steps, IReadOnlyList<string> warnings, string? refusal)
    {
        Platform = platform;
        Steps = steps;
        Warnings = warnings;
        Refusal = refusal;
    }

    public HostPlatform Platform { get; }

    public IReadOnlyList<InstallStep> Steps { get; }

    /// <summary>Said before anything runs (a CPU without KVM, a host without init system).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Why nothing can be done (no known package manager), or null.</summary>
    public string? Refusal { get; }

    public bool IsEmpty => Steps.Count == 0;

    public IReadOnlyList<RemoteCommand> AllCommands => Steps.SelectMany(s => s.Commands).ToList();

    /// <summary>The plan as -WhatIf shows it: every step and every command.</summary>
    public string Describe()
        => string.Join("\n", Steps.Select((s, i) => $"{i + 1}. {s.Title}\n   " + HostPlatform.Render(s.Commands).Replace("\n", "\n   ")));
}

/// <summary>
/// Turns facts into the steps that make a host a KVM host, release by release. Only what is
/// missing is planned, so running the plan again plans nothing. The executor re-probes after a
/// round and plans again: libvirt's default network and pool can only be judged once it runs.
/// </summary>
internal static class InstallPlanner
{
    public static InstallPlan Plan(HostFacts facts, string computerName)
    {
        HostPlatform platform = HostPlatform.For(facts);
        KvmHostInfo info = facts.Info;
        var warnings = new List<string>();
        var steps = new List<InstallStep>();
        if (!platform.IsSupported)
        {
            return new InstallPlan(platform, steps, warnings,
                $"{computerName} runs {platform.Name} with no package manager KvmPS knows (dnf, yum, apt-get, zypper); install QEMU/KVM and libvirt with the distribution's own tools.");
        }

        KvmCapabilityResult cpu = CapabilityEvaluator.Evaluate(facts, computerName, new[] { "CpuVirtualization" })[0];
        if (cpu.Status == KvmCheckStatus.Fail)
        {
            warnings.Add($"{computerName} cannot give guests KVM acceleration: {cpu.Detail} Installing anyway: guests will run with software emulation (TCG).");
        }

        IReadOnlyList<string> missing = platform.MissingPackages(facts);
        if (missing.Count > 0)
        {
            steps.Add(new InstallStep($"Install {string.Join(", ", missing)} with {platform.PackageManager}", platform.InstallCommands(missing)));
        }

        string module = HostPlatform.KvmModuleFor(info);
        if (module.Length > 0 && cpu.Status != KvmCheckStatus.Fail && !info.KvmModules.Contains(module))
        {
            steps.Add(new InstallStep($"Load the {module} module", HostPlatform.LoadKvmModuleCommands(module, info.InitSystem)));
        }

        AddDaemonStep(facts, platform, steps, warnings, computerName);
        if (facts.LibvirtConnected)
        {
            AddDefaultsSteps(facts, steps);
        }

        AddSELinuxStep(facts, steps);

        return new InstallPlan(platform, steps, warnings, null);
    }

    private static void AddDaemonStep(HostFacts facts, HostPlatform platform, List<InstallStep> steps, List<string> warnings, string computerName)
    {
        KvmHostInfo info = facts.Info;
        bool running = info.LibvirtDaemon is "Monolithic" or "Modular";
        bool enabled = info.InitSystem switch
        {
            "Systemd" => platform.SystemdUnits().Any(u => facts.Units.TryGetValue(u, out var state) && state.Enabled == "enabled")
                || (platform.Layout == LibvirtLayout.Modular && facts.Units.TryGetValue("virtqemud.socket", out var q) && q.Enabled == "enabled")
                || (platform.Layout == LibvirtLayout.Monolithic && facts.Units.TryGetValue("libvirtd.socket", out var l) && l.Enabled == "enabled"),
            "SysV" => facts.SysVLibvirtEnabled,
            "OpenRC" => running,
            _ => true,
        };
        if (running && enabled)
        {
            return;
        }

        IReadOnlyList<RemoteCommand> commands = platform.EnableDaemonCommands(facts);
        if (commands.Count == 0)
        {
            return;
        }

        string title = info.InitSystem switch
        {
            "Systemd" => $"Enable and start libvirt ({platform.Layout.ToString().ToLowerInvariant()} daemons, systemd)",
            "SysV" => running ? "Enable libvirtd at boot (SysV)" : "Enable libvirtd at boot and start it (SysV)",
            "OpenRC" => "Enable libvirtd at boot and start it (OpenRC)",
            _ => "Start libvirt's daemons directly (no init system)",
        };
        if (info.InitSystem == "None")
        {
            warnings.Add($"{computerName} has no init system: KvmPS starts libvirt's daemons directly; they will not start again after a reboot.");
        }

        steps.Add(new InstallStep(title, commands));
    }

    private static void AddDefaultsSteps(HostFacts facts, List<InstallStep> steps)
    {
        IReadOnlyList<RemoteCommand> network = DefaultNetworkCommands(facts.DefaultNetwork);
        if (facts.DefaultNetwork is not null && network.Count > 0)
        {
            steps.Add(new InstallStep("Start libvirt's 'default' NAT network and start it with libvirt", network));
        }

        IReadOnlyList<RemoteCommand> pool = DefaultPoolCommands(facts.DefaultPool);
        if (pool.Count > 0)
        {
            steps.Add(new InstallStep(facts.DefaultPool is null ? "Create the 'default' storage pool in /var/lib/libvirt/images" : "Start the 'default' storage pool with libvirt", pool));
        }
    }

    // Images the QEMU process cannot read under enforcing SELinux: give the directory its context back.
    private static void AddSELinuxStep(HostFacts facts, List<InstallStep> steps)
    {
        string context = facts.ImageDirectoryContext;
        if (facts.Info.SELinux == "Enforcing" && facts.ImageDirectory == "/var/lib/libvirt/images" && context.Length > 0 && context != "?"
            && !context.Contains("virt_image_t") && !context.Contains("virt_var_lib_t"))
        {
            steps.Add(new InstallStep("Restore the SELinux context of /var/lib/libvirt/images", new[] { RemoteCommand.Of("restorecon", "-R", "-v", "/var/lib/libvirt/images") }));
        }
    }

    /// <summary>What makes the 'default' network active and autostarted (defines it when missing).</summary>
    public static IReadOnlyList<RemoteCommand> DefaultNetworkCommands(Dictionary<string, string>? net)
    {
        var commands = new List<RemoteCommand>();
        if (net is null)
        {
            commands.Add(Virsh("net-define", "/usr/share/libvirt/networks/default.xml"));
        }

        if (net is null || !Yes(net, "Active"))
        {
            commands.Add(Virsh("net-start", "default"));
        }

        if (net is null || !Yes(net, "Autostart"))
        {
            commands.Add(Virsh("net-autostart", "default"));
        }

        return commands;
    }

    /// <summary>What makes the 'default' storage pool exist, run and autostart.</summary>
    public static IReadOnlyList<RemoteCommand> DefaultPoolCommands(Dictionary<string, string>? pool)
    {
        var commands = new List<RemoteCommand>();
        if (pool is null)
        {
            commands.Add(Virsh("pool-define-as", "default", "dir", "--target", "/var/lib/libvirt/images"));
            commands.Add(Virsh("pool-build", "default"));
        }

        if (pool is null || !(pool.TryGetValue("State", out string? state) && state == "running"))
        {
            commands.Add(Virsh("pool-start", "default"));
        }

        if (pool is null || !Yes(pool, "Autostart"))
        {
            commands.Add(Virsh("pool-autostart", "default"));
        }

        return commands;
    }

    private static RemoteCommand Virsh(params string[] args)
        => RemoteCommand.Of(new[] { "virsh", "-c", "qemu:///system" }.Concat(args).ToArray());

    private static bool Yes(Dictionary<string, string> values, string key) => values.TryGetValue(key, out string? v) && v == "yes";
}
