using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Xml.Linq;

namespace KvmPS.Guests;

/// <summary>Reads a libvirt domain definition (virsh dumpxml) into a <see cref="KvmGuest"/>.</summary>
internal static class DomainXmlReader
{
    public static void Read(XElement domain, KvmGuest guest)
    {
        guest.Name = (string?)domain.Element("name") ?? guest.Name;
        if (Guid.TryParse((string?)domain.Element("uuid"), out Guid uuid))
        {
            guest.Uuid = uuid;
        }

        guest.DomainType = (string?)domain.Attribute("type") ?? "";
        guest.MemoryBytes = Bytes(domain.Element("memory"));
        guest.ProcessorCount = int.TryParse(((string?)domain.Element("vcpu"))?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int vcpus) ? vcpus : 1;
        XElement? os = domain.Element("os");
        guest.Machine = (string?)os?.Element("type")?.Attribute("machine") ?? "";
        guest.Firmware = IsUefi(os) ? "Uefi" : "Bios";
        guest.CpuMode = (string?)domain.Element("cpu")?.Attribute("mode") ?? "";
        XElement? devices = domain.Element("devices");
        guest.Disks = devices?.Elements("disk").Select(ReadDisk).ToArray() ?? Array.Empty<KvmGuestDisk>();
        guest.NetworkAdapters = devices?.Elements("interface").Select(ReadInterface).ToArray() ?? Array.Empty<KvmGuestNetworkAdapter>();
    }

    // <os firmware='efi'> (libvirt 5.2+ autoselection) or a pflash/OVMF loader.
    private static bool IsUefi(XElement? os)
    {
        if (os is null)
        {
            return false;
        }

        if ((string?)os.Attribute("firmware") == "efi")
        {
            return true;
        }

        XElement? loader = os.Element("loader");
        return loader is not null && ((string?)loader.Attribute("type") == "pflash"
            || loader.Value.IndexOf("OVMF", StringComparison.OrdinalIgnoreCase) >= 0
            || loader.Value.IndexOf("edk2", StringComparison.OrdinalIgnoreCase) >= 0);
    }

    private static KvmGuestDisk ReadDisk(XElement disk)
    {
        XElement? source = disk.Element("source");
        string path = (string?)source?.Attribute("file") ?? (string?)source?.Attribute("dev") ?? (string?)source?.Attribute("volume") ?? "";
        return new KvmGuestDisk
        {
            Device = (string?)disk.Attribute("device") ?? "disk",
            SourceType = (string?)disk.Attribute("type") ?? "file",
            Target = (string?)disk.Element("target")?.Attribute("dev") ?? "",
            Bus = (string?)disk.Element("target")?.Attribute("bus") ?? "",
            Path = path,
            Format = (string?)disk.Element("driver")?.Attribute("type") ?? "",
            BackingFile = (string?)disk.Element("backingStore")?.Element("source")?.Attribute("file") ?? "",
        };
    }

    private static KvmGuestNetworkAdapter ReadInterface(XElement nic)
    {
        string type = (string?)nic.Attribute("type") ?? "";
        XElement? source = nic.Element("source");
        string name = type switch
        {
            "network" => (string?)source?.Attribute("network") ?? "",
            "bridge" => (string?)source?.Attribute("bridge") ?? "",
            "direct" => (string?)source?.Attribute("dev") ?? "",
            _ => "",
        };
        return new KvmGuestNetworkAdapter
        {
            MacAddress = ((string?)nic.Element("mac")?.Attribute("address") ?? "").ToLowerInvariant(),
            Type = type,
            Source = name,
            Model = (string?)nic.Element("model")?.Attribute("type") ?? "",
            Device = (string?)nic.Element("target")?.Attribute("dev") ?? "",
        };
    }

    /// <summary>A libvirt size element (value + unit attribute, default KiB) in bytes.</summary>
    internal static long Bytes(XElement? element)
    {
        if (element is null || !long.TryParse(element.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long value))
        {
            return 0;
        }

        string unit = ((string?)element.Attribute("unit") ?? "KiB").ToLowerInvariant();
        long factor = unit switch
        {
            "b" or "bytes" => 1,
            "k" or "kib" => 1024,
            "kb" => 1000,
            "m" or "mib" => 1024L * 1024,
            "mb" => 1000L * 1000,
            "g" or "gib" => 1024L * 1024 * 1024,
            "gb" => 1000L * 1000 * 1000,
            "t" or "tib" => 1024L * 1024 * 1024 * 1024,
            "tb" => 1000L * 1000 * 1000 * 1000,
            _ => 1024,
        };
        return value * factor;
    }
}
