using System;
using System.Collections.Generic;
using System.Linq;
using System.Xml;
using System.Xml.Linq;

namespace KvmPS.Migration;

/// <summary>A disk as the guest's definition has it: what decides whether moving it is safe.</summary>
internal sealed class DefinitionDisk
{
    public string Target { get; set; } = "";

    public string Path { get; set; } = "";

    /// <summary>The driver's cache mode; empty: QEMU's default (writeback).</summary>
    public string Cache { get; set; } = "";

    public bool ReadOnly { get; set; }

    public bool Shareable { get; set; }
}

/// <summary>
/// What the destination must provide for a guest, read from its migratable definition (virsh dumpxml
/// --migratable): virt type, arch and machine type, the CPU as libvirt will ask for it, firmware
/// files, networks and bridges, memory and disks.
/// </summary>
internal sealed class MigrationDefinition
{
    public string Name { get; private set; } = "";

    public Guid Uuid { get; private set; }

    public string VirtType { get; private set; } = "";

    public string Arch { get; private set; } = "";

    public string Machine { get; private set; } = "";

    /// <summary>The &lt;cpu&gt; element as XML; empty when the guest has none (QEMU's default model).</summary>
    public string CpuXml { get; private set; } = "";

    public string CpuMode { get; private set; } = "";

    public long MemoryKiB { get; private set; }

    /// <summary>Firmware and NVRAM template files the destination needs at the same path.</summary>
    public List<string> FirmwareFiles { get; } = new();

    public List<string> Networks { get; } = new();

    public List<string> Bridges { get; } = new();

    public List<DefinitionDisk> Disks { get; } = new();

    /// <summary>The guest keeps UEFI variables (an NVRAM file) or an emulated TPM's state on the host.</summary>
    public bool HasHostState { get; private set; }

    public static MigrationDefinition Parse(string xml)
    {
        XElement domain;
        try
        {
            domain = XElement.Parse(xml);
        }
        catch (XmlException e)
        {
            throw new KvmException("GuestDefinitionUnreadable", System.Management.Automation.ErrorCategory.InvalidData,
                $"The guest's definition could not be read: {e.Message}", "Check it with: virsh dumpxml --migratable <guest>", e);
        }

        var definition = new MigrationDefinition
        {
            Name = (string?)domain.Element("name") ?? "",
            Uuid = Guid.TryParse((string?)domain.Element("uuid"), out Guid uuid) ? uuid : Guid.Empty,
            VirtType = (string?)domain.Attribute("type") ?? "",
            MemoryKiB = Guests.DomainXmlReader.Bytes(domain.Element("memory")) / 1024,
        };
        XElement? os = domain.Element("os");
        XElement? type = os?.Element("type");
        definition.Arch = (string?)type?.Attribute("arch") ?? "";
        definition.Machine = (string?)type?.Attribute("machine") ?? "";
        XElement? cpu = domain.Element("cpu");
        if (cpu is not null)
        {
            definition.CpuMode = (string?)cpu.Attribute("mode") ?? "custom";
            definition.CpuXml = cpu.HasElements || cpu.Attribute("mode") is not null ? cpu.ToString(SaveOptions.DisableFormatting) : "";
        }

        foreach (XElement? file in new[] { os?.Element("loader"), os?.Element("nvram") })
        {
            // The guest's own NVRAM file (per guest) moves with it; its template must be there.
            string path = file?.Name.LocalName == "nvram" ? (string?)file.Attribute("template") ?? "" : file?.Value.Trim() ?? "";
            if (path.Length > 0)
            {
                definition.FirmwareFiles.Add(path);
            }
        }

        XElement? devices = domain.Element("devices");
        definition.HasHostState = os?.Element("nvram") is not null || devices?.Elements("tpm").Any(t => (string?)t.Element("backend")?.Attribute("type") == "emulator") == true;
        foreach (XElement nic in devices?.Elements("interface") ?? Enumerable.Empty<XElement>())
        {
            XElement? source = nic.Element("source");
            string kind = (string?)nic.Attribute("type") ?? "";
            if (kind == "network" && (string?)source?.Attribute("network") is { Length: > 0 } network && !definition.Networks.Contains(network))
            {
                definition.Networks.Add(network);
            }
            else if (kind == "bridge" && (string?)source?.Attribute("bridge") is { Length: > 0 } bridge && !definition.Bridges.Contains(bridge))
            {
                definition.Bridges.Add(bridge);
            }
        }

        foreach (XElement disk in devices?.Elements("disk") ?? Enumerable.Empty<XElement>())
        {
            XElement? source = disk.Element("source");
            string path = (string?)source?.Attribute("file") ?? (string?)source?.Attribute("dev") ?? "";
            if (path.Length == 0)
            {
                continue;
            }

            definition.Disks.Add(new DefinitionDisk
            {
                Target = (string?)disk.Element("target")?.Attribute("dev") ?? "",
                Path = path,
                Cache = (string?)disk.Element("driver")?.Attribute("cache") ?? "",
                ReadOnly = disk.Element("readonly") is not null || (string?)disk.Attribute("device") == "cdrom",
                Shareable = disk.Element("shareable") is not null,
            });
        }

        return definition;
    }
}
