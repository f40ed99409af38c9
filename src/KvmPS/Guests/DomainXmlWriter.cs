using System.Globalization;
using System.Linq;
using System.Xml.Linq;

namespace KvmPS.Guests;

/// <summary>
/// Writes a guest design as libvirt domain XML with System.Xml.Linq (never string pasting): the
/// devices a current virt-install would choose for a q35 guest, plus a serial console always, the
/// guest agent channel and graphics on 127.0.0.1 unless asked otherwise.
/// </summary>
internal static class DomainXmlWriter
{
    private static readonly XNamespace OsInfo = "http://libosinfo.org/xmlns/libvirt/domain/1.0";

    public static XElement Write(GuestDesign design)
    {
        string kib = (design.MemoryBytes / 1024).ToString(CultureInfo.InvariantCulture);
        var domain = new XElement("domain", new XAttribute("type", design.DomainType),
            new XElement("name", design.Name),
            new XElement("uuid", design.Uuid.ToString()));
        if (design.OsInfoId.Length > 0)
        {
            domain.Add(new XElement("metadata",
                new XElement(OsInfo + "libosinfo", new XAttribute(XNamespace.Xmlns + "libosinfo", OsInfo.NamespaceName),
                    new XElement(OsInfo + "os", new XAttribute("id", design.OsInfoId)))));
        }

        domain.Add(
            new XElement("memory", new XAttribute("unit", "KiB"), kib),
            new XElement("currentMemory", new XAttribute("unit", "KiB"), kib),
            new XElement("vcpu", new XAttribute("placement", "static"), design.ProcessorCount),
            Os(design),
            Features(design),
            Cpu(design),
            new XElement("clock", new XAttribute("offset", "utc"),
                new XElement("timer", new XAttribute("name", "rtc"), new XAttribute("tickpolicy", "catchup")),
                new XElement("timer", new XAttribute("name", "pit"), new XAttribute("tickpolicy", "delay")),
                new XElement("timer", new XAttribute("name", "hpet"), new XAttribute("present", "no"))),
            new XElement("on_poweroff", "destroy"),
            new XElement("on_reboot", "restart"),
            new XElement("on_crash", "destroy"),
            new XElement("pm",
                new XElement("suspend-to-mem", new XAttribute("enabled", "no")),
                new XElement("suspend-to-disk", new XAttribute("enabled", "no"))),
            Devices(design));
        return domain;
    }

    private static XElement Os(GuestDesign design)
    {
        var os = new XElement("os", new XElement("type", new XAttribute("arch", "x86_64"), new XAttribute("machine", design.Machine), "hvm"));
        if (design.Uefi)
        {
            // libvirt (5.2+) picks the firmware from QEMU's descriptors; Secure Boot as a feature (7.2+).
            // Without -SecureBoot it is off explicitly: left open, libvirt takes the first descriptor,
            // which on RHEL is the Secure Boot build with Microsoft's keys enrolled.
            string enabled = design.SecureBoot ? "yes" : "no";
            os.Add(new XAttribute("firmware", "efi"));
            os.Add(new XElement("firmware",
                new XElement("feature", new XAttribute("enabled", enabled), new XAttribute("name", "secure-boot")),
                new XElement("feature", new XAttribute("enabled", enabled), new XAttribute("name", "enrolled-keys"))));
            if (design.SecureBoot)
            {
                os.Add(new XElement("loader", new XAttribute("secure", "yes")));
            }
        }

        if (design.Kernel is not null)
        {
            os.Add(new XElement("kernel", design.Kernel));
            if (design.Initrd is not null)
            {
                os.Add(new XElement("initrd", design.Initrd));
            }

            if (design.KernelArguments is not null)
            {
                os.Add(new XElement("cmdline", design.KernelArguments));
            }
        }
        else
        {
            os.Add(design.BootDevices.Select(dev => new XElement("boot", new XAttribute("dev", dev))));
        }

        return os;
    }

    private static XElement Features(GuestDesign design)
    {
        var features = new XElement("features", new XElement("acpi"), new XElement("apic"));
        if (design.SecureBoot)
        {
            features.Add(new XElement("smm", new XAttribute("state", "on")));
        }

        return features;
    }

    private static XElement Cpu(GuestDesign design) => design.CpuMode switch
    {
        "host-model" or "host-passthrough" or "maximum" => new XElement("cpu", new XAttribute("mode", design.CpuMode), new XAttribute("check", "partial")),
        _ => new XElement("cpu", new XAttribute("mode", "custom"), new XAttribute("match", "exact"), new XAttribute("check", "partial"),
            new XElement("model", new XAttribute("fallback", "allow"), design.CpuMode)),
    };

    private static XElement Devices(GuestDesign design)
    {
        var devices = new XElement("devices");

        // libvirt puts the devices it places on these first and adds more root ports when they run
        // out, so like virt-install's 14 this leaves room for hot-plug (virsh attach-interface).
        if (design.Machine.Contains("q35"))
        {
            // Unindexed controllers get indexes in order: the root complex must come first (index 0).
            devices.Add(new XElement("controller", new XAttribute("type", "pci"), new XAttribute("model", "pcie-root")));
            for (int i = 0; i < design.SpareRootPorts; i++)
            {
                devices.Add(new XElement("controller", new XAttribute("type", "pci"), new XAttribute("model", "pcie-root-port")));
            }
        }

        foreach (DiskDesign disk in design.Disks)
        {
            var element = new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", disk.Device),
                new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", disk.Format)),
                new XElement("source", new XAttribute("file", disk.Path)),
                new XElement("target", new XAttribute("dev", disk.Target), new XAttribute("bus", disk.Bus)));
            if (disk.Device == "disk")
            {
                element.Element("driver")!.Add(new XAttribute("discard", "unmap"));
            }
            else
            {
                element.Add(new XElement("readonly"));
            }

            devices.Add(element);
        }

        foreach (NicDesign nic in design.NetworkAdapters)
        {
            var element = new XElement("interface", new XAttribute("type", nic.Type),
                new XElement("source", new XAttribute(nic.Type == "bridge" ? "bridge" : "network", nic.Source)));
            if (nic.MacAddress is not null)
            {
                element.Add(new XElement("mac", new XAttribute("address", nic.MacAddress)));
            }

            element.Add(new XElement("model", new XAttribute("type", nic.Model)));
            devices.Add(element);
        }

        devices.Add(
            new XElement("serial", new XAttribute("type", "pty"),
                new XElement("target", new XAttribute("type", "isa-serial"), new XAttribute("port", "0"), new XElement("model", new XAttribute("name", "isa-serial")))),
            new XElement("console", new XAttribute("type", "pty"), new XElement("target", new XAttribute("type", "serial"), new XAttribute("port", "0"))),
            new XElement("channel", new XAttribute("type", "unix"), new XElement("target", new XAttribute("type", "virtio"), new XAttribute("name", "org.qemu.guest_agent.0"))));
        if (design.Graphics != "none")
        {
            devices.Add(
                new XElement("input", new XAttribute("type", "tablet"), new XAttribute("bus", "usb")),
                new XElement("graphics", new XAttribute("type", design.Graphics), new XAttribute("port", "-1"), new XAttribute("autoport", "yes"),
                    new XAttribute("listen", design.GraphicsListen),
                    new XElement("listen", new XAttribute("type", "address"), new XAttribute("address", design.GraphicsListen))),
                new XElement("video", new XElement("model", new XAttribute("type", "virtio"))));
            if (design.Graphics == "spice")
            {
                // The SPICE agent's channel: clipboard sharing and display resizing.
                devices.Add(new XElement("channel", new XAttribute("type", "spicevmc"),
                    new XElement("target", new XAttribute("type", "virtio"), new XAttribute("name", "com.redhat.spice.0"))));
            }
        }

        if (design.Tpm)
        {
            devices.Add(new XElement("tpm", new XAttribute("model", "tpm-crb"), new XElement("backend", new XAttribute("type", "emulator"), new XAttribute("version", "2.0"))));
        }

        devices.Add(
            new XElement("rng", new XAttribute("model", "virtio"), new XElement("backend", new XAttribute("model", "random"), "/dev/urandom")),
            new XElement("memballoon", new XAttribute("model", "virtio")));
        return devices;
    }
}
