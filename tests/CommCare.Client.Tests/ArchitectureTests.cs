using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using Xunit;

namespace CommCare.Client.Tests
{
    /// <summary>
    /// The layer rules of docs/architecture.md, read from the built assemblies' metadata (nothing is loaded, so the
    /// cmdlet assembly is read without PowerShell): Models use only the BCL, the Client never names PowerShell, and
    /// no public member of the cmdlet assembly shows a Client type (the loader must run before any Client type is
    /// resolved, and PowerShell resolves public member types when it binds a cmdlet).
    /// </summary>
    public class ArchitectureTests
    {
        private static readonly string[] Bcl = { "netstandard", "mscorlib", "System", "System.Runtime", "System.Core" };

        /// <summary>The src/ project's build output of this configuration, found from the test's own bin folder.</summary>
        private static string Built(string project)
        {
            var bin = new DirectoryInfo(AppContext.BaseDirectory);            // tests/X/bin/<Configuration>/<tfm>/
            string configuration = bin.Parent!.Name;
            var root = bin;
            while (root != null && !File.Exists(Path.Combine(root.FullName, "CommCare.slnx"))) root = root.Parent;
            Assert.NotNull(root);
            var folder = new DirectoryInfo(Path.Combine(root!.FullName, "src", project, "bin", configuration));
            var dll = folder.Exists
                ? folder.GetFiles(project + ".dll", SearchOption.AllDirectories).OrderBy(f => f.FullName, StringComparer.Ordinal).FirstOrDefault()
                : null;
            Assert.True(dll != null, $"{project}.dll is not built under {folder.FullName}");
            return dll!.FullName;
        }

        private static T Read<T>(string project, Func<MetadataReader, T> read)
        {
            using var stream = File.OpenRead(Built(project));
            using var pe = new PEReader(stream);
            return read(pe.GetMetadataReader());
        }

        private static List<string> References(MetadataReader md)
            => md.AssemblyReferences.Select(h => md.GetString(md.GetAssemblyReference(h).Name)).ToList();

        [Fact]
        public void Models_reference_only_the_base_class_library()
        {
            // Every build (netstandard2.0 and net8.0): on .NET 8 the BCL is split into the runtime's own System.* assemblies.
            string runtime = RuntimeEnvironment.GetRuntimeDirectory();
            string bin = Path.GetDirectoryName(Path.GetDirectoryName(Built("CommCare.Models")))!;
            var builds = Directory.GetFiles(bin, "CommCare.Models.dll", SearchOption.AllDirectories);
            Assert.True(builds.Length >= 2, $"expected a netstandard2.0 and a net8.0 build under {bin}");
            foreach (string dll in builds)
            {
                using var stream = File.OpenRead(dll);
                using var pe = new PEReader(stream);
                var references = References(pe.GetMetadataReader());
                Assert.NotEmpty(references);
                Assert.All(references, r => Assert.True(
                    Bcl.Contains(r) || (r.StartsWith("System.", StringComparison.Ordinal) && File.Exists(Path.Combine(runtime, r + ".dll"))),
                    $"{dll} references {r}, which is not part of the base class library"));
            }
        }

        [Fact]
        public void The_client_never_names_PowerShell()
        {
            Read("CommCare.Client", md =>
            {
                Assert.DoesNotContain(References(md), r => r.StartsWith("System.Management.Automation", StringComparison.Ordinal)
                                                       || r.StartsWith("Microsoft.PowerShell", StringComparison.Ordinal));
                var named = md.TypeReferences.Select(h => md.GetString(md.GetTypeReference(h).Namespace)).Distinct().ToList();
                Assert.DoesNotContain(named, ns => ns.StartsWith("System.Management.Automation", StringComparison.Ordinal));
                return 0;
            });
        }

        [Fact]
        public void The_models_and_the_client_do_not_reference_the_cmdlets()
        {
            Assert.DoesNotContain("CommCare.PowerShell", Read("CommCare.Models", References));
            Assert.DoesNotContain("CommCare.PowerShell", Read("CommCare.Client", References));
            Assert.DoesNotContain("CommCare.Client", Read("CommCare.Models", References));
        }

        [Fact]
        public void No_public_member_of_the_cmdlet_assembly_shows_a_client_type()
        {
            var exposed = Read("CommCare.PowerShell", md =>
            {
                Assert.Contains("CommCare.Client", References(md));   // the rule is about something real
                var names = new TypeNames(md);
                var found = new List<string>();
                int hidden = 0;   // Client types in non-public signatures: proves the decoder sees them at all
                foreach (var th in md.TypeDefinitions)
                {
                    var type = md.GetTypeDefinition(th);
                    if (!IsVisible(md, type))
                    {
                        foreach (var mh in type.GetMethods())
                        {
                            var sig = md.GetMethodDefinition(mh).DecodeSignature(names, null);
                            if ((sig.ReturnType + string.Concat(sig.ParameterTypes)).Contains("[CommCare.Client]", StringComparison.Ordinal)) hidden++;
                        }
                        continue;
                    }
                    string owner = md.GetString(type.Namespace) + "." + md.GetString(type.Name);
                    void Check(string what, string signature)
                    {
                        if (signature.Contains("[CommCare.Client]", StringComparison.Ordinal)) found.Add($"{owner}.{what}: {signature}");
                    }
                    if (!type.BaseType.IsNil) Check("(base type)", names.Of(type.BaseType));
                    foreach (var ih in type.GetInterfaceImplementations())
                        Check("(interface)", names.Of(md.GetInterfaceImplementation(ih).Interface));
                    foreach (var fh in type.GetFields())
                    {
                        var f = md.GetFieldDefinition(fh);
                        var access = f.Attributes & FieldAttributes.FieldAccessMask;
                        if (access == FieldAttributes.Public || access == FieldAttributes.Family || access == FieldAttributes.FamORAssem)
                            Check(md.GetString(f.Name), f.DecodeSignature(names, null));
                    }
                    foreach (var mh in type.GetMethods())
                    {
                        var m = md.GetMethodDefinition(mh);
                        var access = m.Attributes & MethodAttributes.MemberAccessMask;
                        if (access != MethodAttributes.Public && access != MethodAttributes.Family && access != MethodAttributes.FamORAssem) continue;
                        var sig = m.DecodeSignature(names, null);
                        Check(md.GetString(m.Name), sig.ReturnType + "(" + string.Join(", ", sig.ParameterTypes) + ")");
                    }
                }
                Assert.True(hidden > 0, "no internal signature names a Client type: the check would find nothing");
                return found;
            });
            Assert.Empty(exposed);
        }

        private static bool IsVisible(MetadataReader md, TypeDefinition type)
        {
            var visibility = type.Attributes & TypeAttributes.VisibilityMask;
            if (visibility == TypeAttributes.Public) return true;
            if (visibility != TypeAttributes.NestedPublic && visibility != TypeAttributes.NestedFamily && visibility != TypeAttributes.NestedFamORAssem) return false;
            return IsVisible(md, md.GetTypeDefinition(type.GetDeclaringType()));
        }

        /// <summary>Type names with the defining assembly in brackets: "[CommCare.Client]CommCare.Client.Api.X".</summary>
        private sealed class TypeNames : ISignatureTypeProvider<string, object?>
        {
            private readonly MetadataReader _md;
            public TypeNames(MetadataReader md) => _md = md;

            public string Of(EntityHandle handle) => handle.Kind switch
            {
                HandleKind.TypeDefinition => GetTypeFromDefinition(_md, (TypeDefinitionHandle)handle, 0),
                HandleKind.TypeReference => GetTypeFromReference(_md, (TypeReferenceHandle)handle, 0),
                HandleKind.TypeSpecification => GetTypeFromSpecification(_md, null, (TypeSpecificationHandle)handle, 0),
                _ => "?",
            };

            public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
            {
                var t = reader.GetTypeDefinition(handle);
                return "[CommCare.PowerShell]" + reader.GetString(t.Namespace) + "." + reader.GetString(t.Name);
            }

            public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
            {
                var t = reader.GetTypeReference(handle);
                string name = reader.GetString(t.Namespace) + "." + reader.GetString(t.Name);
                return t.ResolutionScope.Kind switch
                {
                    HandleKind.AssemblyReference => "[" + reader.GetString(reader.GetAssemblyReference((AssemblyReferenceHandle)t.ResolutionScope).Name) + "]" + name,
                    HandleKind.TypeReference => GetTypeFromReference(reader, (TypeReferenceHandle)t.ResolutionScope, rawTypeKind) + "+" + name,
                    _ => name,
                };
            }

            public string GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind)
                => reader.GetTypeSpecification(handle).DecodeSignature(this, context);

            public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => genericType + "<" + string.Join(",", typeArguments) + ">";
            public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[,]";
            public string GetSZArrayType(string elementType) => elementType + "[]";
            public string GetByReferenceType(string elementType) => elementType + "&";
            public string GetPointerType(string elementType) => elementType + "*";
            public string GetPinnedType(string elementType) => elementType;
            public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
            public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
            public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;
            public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;
            public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        }
    }
}
