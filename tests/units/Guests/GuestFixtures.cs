using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Xml.Linq;
using KvmPS.Facts;
using KvmPS.Guests;
using Xunit;

namespace KvmPS.Tests.Guests;

/// <summary>
/// Shared inputs of the guest tests: recorded script output (Guests/Fixtures, copied to the output
/// directory), host facts from the recorded host probes, and small builders for requests and hosts.
/// </summary>
internal static class GuestFixtures
{
    /// <summary>A TCG-only host: KVM-PVM sandbox, no vmx flag (software emulation only).</summary>
    public const string TcgHost = "debian12-kvm-pvm";

    /// <summary>A KVM host: RHEL 9.4, Xeon with VT-x, libvirt offers type='kvm', QEMU 8.2.</summary>
    public const string KvmHost = "rhel9-intel";

    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "Guests", "Fixtures");

    public static string Text(string file)
    {
        string path = Path.Combine(Directory, file);
        Assert.True(File.Exists(path), $"fixture {path} is missing (is it copied to the output directory?)");
        return File.ReadAllText(path);
    }

    /// <summary>Facts from a recorded host probe (tests/units/Fixtures/probes/NAME.probe).</summary>
    public static HostFacts ProbeFacts(string probe)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "probes", probe + ".probe");
        Assert.True(File.Exists(path), $"probe fixture {path} is missing");
        return HostFactsParser.Parse(probe, File.ReadAllText(path));
    }

    /// <summary>A host with the default network (active), an inactive one, br0, the default pool, UEFI with Secure Boot, swtpm and osinfo.</summary>
    public static HostGuestContext Host(Action<HostGuestContext>? change = null)
    {
        var host = new HostGuestContext();
        host.Pools["default"] = ("/var/lib/libvirt/images", "running");
        host.Networks.AddRange(new[] { "default", "isolated" });
        host.ActiveNetworks.Add("default");
        host.Bridges.AddRange(new[] { "br0", "virbr0" });
        host.FirmwareDescriptors.AddRange(new[] { "40-edk2-x86_64-secure-enrolled.json", "50-edk2-x86_64-secure.json", "60-edk2-x86_64.json" });
        host.SecureBootFirmware.UnionWith(new[] { "40-edk2-x86_64-secure-enrolled.json", "50-edk2-x86_64-secure.json" });
        host.Tools.UnionWith(new[] { "genisoimage", "swtpm", "qemu-img", "osinfo-query" });
        change?.Invoke(host);
        return host;
    }

    /// <summary>Adds a path the prerequisites probe found (an image when size >= 0).</summary>
    public static HostGuestContext WithPath(this HostGuestContext host, string path, long virtualSize = -1, string format = "", bool exists = true)
    {
        host.Paths[path] = new HostPath { Path = path, Exists = exists, VirtualSize = virtualSize, Format = format };
        return host;
    }

    public static GuestRequest Request(string name = "web01", Action<GuestRequest>? change = null)
    {
        var request = new GuestRequest { Name = name, DiskSizeBytes = 20L << 30 };
        change?.Invoke(request);
        return request;
    }

    public static GuestPlan Plan(GuestRequest request, HostGuestContext? host = null, string probe = KvmHost,
        IReadOnlyList<KvmGuest>? existing = null, IReadOnlyDictionary<string, byte[]>? seed = null)
        => GuestPlanner.Plan(request, ProbeFacts(probe), host ?? Host(), existing ?? Array.Empty<KvmGuest>(), probe, seed, TimeSpan.FromSeconds(300));

    public static KvmException Refusal(GuestRequest request, HostGuestContext? host = null, string probe = KvmHost, IReadOnlyList<KvmGuest>? existing = null)
        => Assert.Throws<KvmException>(() => Plan(request, host, probe, existing));

    /// <summary>The commands of every step as the host receives them (-WhatIf/-Verbose form).</summary>
    public static string[] Shown(PlanStep step) => step.Commands.Select(c => c.ToDisplayString()).ToArray();

    public static string[] ShownUndo(PlanStep step) => step.Undo.Select(c => c.ToDisplayString()).ToArray();

    public static XElement Xml(GuestPlan plan) => XElement.Parse(plan.Xml);

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
