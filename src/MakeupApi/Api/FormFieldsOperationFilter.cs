using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace MakeupApi.Api;

/// <summary>
/// Carries two annotations of handler parameters into the multipart schema, which Swashbuckle leaves out for form
/// fields: [Required] (so Swagger UI marks the file pickers as mandatory and clients see which fields they must send)
/// and [AllowedValues] (so format and engine show as drop-downs instead of free text).
/// </summary>
internal sealed class FormFieldsOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.RequestBody?.Content is not { } content
            || !content.TryGetValue("multipart/form-data", out var media)
            || media.Schema is not OpenApiSchema schema
            || schema.Properties is not { } properties)
            return;

        foreach (var parameter in context.MethodInfo.GetParameters())
        {
            if (parameter.Name is not { } name || !properties.TryGetValue(name, out var property)) continue;
            if (parameter.IsDefined(typeof(RequiredAttribute), false))
                (schema.Required ??= new HashSet<string>()).Add(name);
            if (parameter.GetCustomAttributes(typeof(AllowedValuesAttribute), false) is [AllowedValuesAttribute allowed, ..]
                && property is OpenApiSchema propertySchema)
                propertySchema.Enum = allowed.Values.OfType<string>().Select(v => (JsonNode)JsonValue.Create(v)).ToList();
        }
    }
}
