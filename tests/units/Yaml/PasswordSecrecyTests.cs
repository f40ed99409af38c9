using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using KvmPS.Guests;
using Xunit;

namespace KvmPS.Tests.Yaml;

/// <summary>A plain-text password in a spec is hashed at once and shows up nowhere else.</summary>
public class PasswordSecrecyTests
{
    private const string Plain = "Zebra-Plain-Text-77";

    [Fact]
    public void ThePlainPasswordIsInNoFieldOfAnyRequest()
    {
        var guests = Spec.Read(Spec.Lines(
            "defaults:",
            "  cloudInit:",
            "    user: admin",
            "    password: " + Plain,
            "guests:",
            "  - name: a",
            "  - name: b",
            "    cloudInit:",
            "      password: '" + Plain + "'"));

        foreach (GuestRequest guest in guests)
        {
            foreach (string text in Strings(guest))
            {
                Assert.DoesNotContain(Plain, text);
            }

            Assert.StartsWith("$6$", guest.CloudInit!.PasswordHash);
            Assert.DoesNotContain(Plain, Spec.Engine.CloudConfig(guest.Name, guest.CloudInit));
        }
    }

    [Theory]
    [InlineData("password: " + Plain + "\n  password: other")]
    [InlineData("password: " + Plain + "\n  passwordHash: '$6$x$y'")]
    [InlineData("password: " + Plain + "\n  userData: missing.yaml")]
    [InlineData("password: " + Plain + "\n  user: 'not valid'")]
    [InlineData("password: [" + Plain + "]")]
    [InlineData("password: {" + Plain + ": 1}")]
    public void ErrorsNearThePasswordDoNotRepeatIt(string cloudInit)
    {
        var error = Assert.Throws<GuestSpecException>(() => Spec.Read("name: a\ncloudInit:\n  " + cloudInit + "\n"));
        Assert.DoesNotContain(Plain, error.Message);
    }

    [Fact]
    public void AHashGivenAsAPasswordIsNotRepeatedEither()
    {
        const string hash = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
        var error = Assert.Throws<GuestSpecException>(() => Spec.Read("name: a\ncloudInit:\n  password: '" + hash + "'\n"));
        Assert.DoesNotContain(hash, error.Message);
    }

    /// <summary>Every string reachable from the request's properties (lists and the cloud-init part included).</summary>
    private static IEnumerable<string> Strings(object? value)
    {
        switch (value)
        {
            case null:
                yield break;
            case string text:
                yield return text;
                yield break;
            case IEnumerable items:
                foreach (object? item in items)
                {
                    foreach (string text in Strings(item))
                    {
                        yield return text;
                    }
                }

                yield break;
        }

        if (value.GetType().IsPrimitive)
        {
            yield break;
        }

        foreach (PropertyInfo property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length == 0)
            {
                foreach (string text in Strings(property.GetValue(value)))
                {
                    yield return text;
                }
            }
        }
    }
}
