using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace KvmPS.Networking;

/// <summary>
/// Plans Remove-KvmBridge: the bridge goes, its NIC gets the bridge's addressing back, with the
/// tool that owns the bridge. The rollback makes the bridge again as it is now (its guests'
/// interfaces included). Refuses a libvirt network's bridge, a bridge with guests (without
/// -Force), and a bridge with more than one NIC (which one would get the addressing?).
/// </summary>
internal static class BridgeRemovalPlanner
{
    public static BridgePlan Plan(string name, bool force, TimeSpan rollbackTimeout, NetworkFacts facts, string computerName)
    {
        BridgePlanner.ValidateName(name, "-Name");
        BridgePlanner.ValidateRollbackTimeout(rollbackTimeout);
        if (!facts.ProbeComplete)
        {
            throw BridgePlanner.Refuse("NetworkProbeIncomplete", ErrorCategory.ReadError, $"The network probe of {computerName} was cut off: nothing was changed.",
                "Try again; if it repeats, run the command with -Verbose to see the probe's output.");
        }

        List<KvmBridge> bridges = BridgeInventory.Bridges(facts, computerName, null);
        KvmBridge bridge = bridges.FirstOrDefault(b => b.Name == name)
            ?? throw BridgePlanner.Refuse("BridgeNotFound", ErrorCategory.ObjectNotFound,
                $"There is no bridge named '{name}' on {computerName}. It has: {(bridges.Count == 0 ? "none" : string.Join(", ", bridges.Select(b => b.Name)))}.",
                $"List them with: Get-KvmBridge -ComputerName {computerName}");
        (string owner, string definition) = BridgeInventory.Owner(facts, name);
        if (owner == "Libvirt")
        {
            throw BridgePlanner.Refuse("BridgeOwnedByLibvirt", ErrorCategory.InvalidOperation,
                $"{name} on {computerName} belongs to the libvirt {definition}: libvirt makes and removes it with the network.",
                $"Stop the network instead (virsh net-destroy {definition.Substring("network ".Length)}), or leave it.");
        }

        if (bridge.GuestInterfaces.Length > 0)
        {
            if (!force)
            {
                throw BridgePlanner.Refuse("BridgeInUse", ErrorCategory.ResourceBusy,
                    $"Guests are attached to {name} on {computerName} through {string.Join(", ", bridge.GuestInterfaces)}: removing the bridge cuts their network.",
                    "Stop or move those guests first (Get-KvmGuest shows their interfaces), or pass -Force to remove the bridge anyway.");
            }
        }

        string[] uplinks = bridge.Ports.Except(bridge.GuestInterfaces).Where(p => p != name + "-nic").ToArray();
        if (uplinks.Length > 1)
        {
            throw BridgePlanner.Refuse("BridgeHasSeveralPorts", ErrorCategory.InvalidOperation,
                $"{name} on {computerName} has several NICs ({string.Join(", ", uplinks)}): it is not clear which one should get its addressing.",
                $"Take all but one out of the bridge first (ip link set dev <nic> nomaster, or nmcli connection delete the port profile), then run Remove-KvmBridge again.");
        }

        KvmBridgeBackend backend = (KvmBridgeBackend)Enum.Parse(typeof(KvmBridgeBackend), owner);
        var request = new BridgeRequest { Name = name, InterfaceName = uplinks.FirstOrDefault() ?? "", RollbackTimeout = rollbackTimeout, Stp = bridge.Stp };
        NetworkLink link = facts.Link(name)!;
        BridgeAddressing addressing = BridgePlanner.Addressing(request, facts, link, backend);
        var plan = new BridgePlan(request, backend, addressing, link.MacAddress) { Removes = true };
        if (bridge.GuestInterfaces.Length > 0)
        {
            plan.Warnings.Add($"-Force: the guest interfaces {string.Join(", ", bridge.GuestInterfaces)} lose their network when {name} goes.");
        }

        if (request.InterfaceName.Length == 0)
        {
            plan.Warnings.Add($"{name} has no NIC: its addressing ({addressing}) goes with it.");
        }

        switch (backend)
        {
            case KvmBridgeBackend.NetworkManager:
                NmcliRemoval(plan, facts, bridge.GuestInterfaces, computerName);
                break;
            case KvmBridgeBackend.Ifcfg:
                IfcfgRemoval(plan, facts);
                break;
            default:
                IpRouteRemoval(plan, facts);
                break;
        }

        // Whatever the tool, the rollback puts the guests' interfaces back into the bridge it makes again.
        plan.Restore.AddRange(bridge.GuestInterfaces.Select(tap => new[] { "ip", "link", "set", "dev", tap, "master", name }));
        return plan;
    }

    private static void IpRouteRemoval(BridgePlan plan, NetworkFacts facts)
    {
        string bridge = plan.Request.Name;
        string nic = plan.Request.InterfaceName;
        NetworkLink link = facts.Link(bridge)!;
        if (nic.Length > 0)
        {
            plan.Apply.Add(new[] { "ip", "link", "set", "dev", nic, "nomaster" });
        }

        plan.Apply.Add(new[] { "ip", "link", "del", "dev", bridge });
        if (nic.Length > 0)
        {
            plan.Apply.Add(new[] { "ip", "link", "set", "dev", nic, "up" });
            plan.Apply.AddRange(plan.Addressing.Ipv4.Concat(plan.Addressing.Ipv6).Select(a => new[] { "ip", "addr", "replace", a, "dev", nic }));
            if (plan.Addressing.Gateway.Length > 0)
            {
                plan.Apply.Add(new[] { "ip", "route", "replace", "default", "via", plan.Addressing.Gateway, "dev", nic });
            }

            plan.Teardown.Add(new[] { "ip", "addr", "flush", "dev", nic, "scope", "global" });
        }

        plan.Restore.Add(new[] { "ip", "link", "add", "name", bridge, "address", link.MacAddress, "type", "bridge", "stp_state", link.Stp ? "1" : "0" });
        plan.Restore.Add(new[] { "ip", "link", "set", "dev", bridge, "up" });
        if (nic.Length > 0)
        {
            plan.Restore.Add(new[] { "ip", "link", "set", "dev", nic, "master", bridge });
            plan.Restore.Add(new[] { "ip", "link", "set", "dev", nic, "up" });
        }

        plan.Restore.AddRange(link.Addresses.Where(a => !a.IsLinkLocal).Select(a => new[] { "ip", "addr", "replace", a.ToString(), "dev", bridge }));
        plan.Restore.AddRange(facts.DefaultRoutes.Where(r => r.Device == bridge)
            .Select(r => new[] { "ip", r.IsIPv6 ? "-6" : "-4", "route", "replace", "default", "via", r.Gateway, "dev", bridge }));
    }

    private static void NmcliRemoval(BridgePlan plan, NetworkFacts facts, string[] guestInterfaces, string computerName)
    {
        string bridge = plan.Request.Name;
        string nic = plan.Request.InterfaceName;
        NmProfile profile = facts.ActiveProfile(bridge) ?? facts.NmProfiles.First(p => p.Type == "bridge" && p.InterfaceName == bridge);
        // The ports' profiles, not the ones NetworkManager makes up in memory for guests' taps it finds in the bridge.
        List<NmProfile> ports = facts.NmProfiles.Where(p => p.SlaveType == "bridge" && (p.Master == bridge || p.Master == profile.Uuid || p.Master == profile.Name)
            && !guestInterfaces.Contains(p.InterfaceName) && !guestInterfaces.Contains(p.ActiveDevice)).ToList();
        // The NIC's own profile: the one New-KvmBridge kept with autoconnect off, or any Ethernet profile for it.
        NmProfile? own = nic.Length == 0 ? null
            : facts.NmProfiles.FirstOrDefault(p => p.InterfaceName == nic && p.SlaveType.Length == 0 && p.Type.EndsWith("ethernet", StringComparison.Ordinal));
        var profiles = new List<NmProfile> { profile };
        profiles.AddRange(ports);
        if (own is not null)
        {
            profiles.Add(own);
        }

        NmProfile? unstored = profiles.FirstOrDefault(p => p.FileName.Length == 0);
        if (unstored is not null)
        {
            throw BridgePlanner.Refuse("ProfileNotStored", ErrorCategory.InvalidOperation,
                $"NetworkManager on {computerName} does not say which file holds the profile '{unstored.Name}', so the rollback could not put it back.",
                "Remove the bridge with nmcli on the host's console.");
        }

        plan.PreservedFiles.AddRange(profiles.Select(p => p.FileName));
        string nicProfile = own?.Uuid ?? nic;
        if (nic.Length > 0)
        {
            var settings = new List<string> { "connection.autoconnect", "yes" };
            settings.AddRange(NmcliBridge.AddressingArguments(plan.Addressing));
            plan.Apply.Add(own is not null
                ? new[] { "nmcli", "connection", "modify", own.Uuid }.Concat(settings).ToArray()
                : new[] { "nmcli", "connection", "add", "type", "ethernet", "con-name", nic, "ifname", nic }.Concat(settings).ToArray());
        }

        plan.Apply.AddRange(ports.Select(p => new[] { "nmcli", "connection", "delete", p.Uuid }));
        plan.Apply.Add(new[] { "nmcli", "connection", "delete", profile.Uuid });
        if (nic.Length > 0)
        {
            plan.Apply.Add(new[] { "nmcli", "--wait", "60", "connection", "up", nicProfile });
            plan.Teardown.Add(own is not null ? new[] { "nmcli", "connection", "down", own.Uuid } : new[] { "nmcli", "connection", "delete", nic });
        }

        // The profiles' files are back: NetworkManager reads them again and brings the bridge up with its port.
        plan.Restore.Add(new[] { "nmcli", "connection", "reload" });
        plan.Restore.Add(new[] { "nmcli", "--wait", "60", "connection", "up", profile.Uuid });
        plan.Restore.AddRange(ports.Select(p => new[] { "nmcli", "--wait", "60", "connection", "up", p.Uuid }));
    }

    private static void IfcfgRemoval(BridgePlan plan, NetworkFacts facts)
    {
        string bridge = plan.Request.Name;
        string nic = plan.Request.InterfaceName;
        string directory = IfcfgBridge.Directory;
        if (nic.Length > 0)
        {
            facts.IfcfgText.TryGetValue(nic, out string? nicText);
            plan.Files.Add(new BridgeFile($"{directory}/ifcfg-{nic}", IfcfgBridge.UnbridgedFile(nic, facts.Link(nic)?.MacAddress ?? "", nicText, plan.Addressing, facts.RhelMajor)));
            foreach (string family in new[] { "route", "route6" })
            {
                if (facts.RouteFiles.TryGetValue($"{family}-{bridge}", out string? routes))
                {
                    plan.Files.Add(new BridgeFile($"{directory}/{family}-{nic}", IfcfgBridge.RouteFileFor(routes, bridge, nic)));
                    plan.DeletedFiles.Add($"{directory}/{family}-{bridge}");
                }
            }
        }

        plan.DeletedFiles.Add($"{directory}/ifcfg-{bridge}");

        // ifdown needs the bridge's file, which is gone by now: take the bridge down by hand.
        if (nic.Length > 0)
        {
            plan.Apply.Add(new[] { "ip", "link", "set", "dev", nic, "nomaster" });
        }

        plan.Apply.Add(new[] { "ip", "link", "set", "dev", bridge, "down" });
        plan.Apply.Add(new[] { "ip", "link", "del", "dev", bridge });
        if (nic.Length > 0)
        {
            plan.Apply.Add(new[] { "ifdown", nic });
            plan.Apply.Add(new[] { "ifup", nic });
            plan.Teardown.Add(new[] { "ifdown", nic });
        }

        if (nic.Length > 0)
        {
            plan.Restore.Add(new[] { "ifup", nic });
        }

        plan.Restore.Add(new[] { "ifup", bridge });
    }
}
