// A small highlight.js grammar for WGSL, since this project's own code is full of it and hljs has none.
import type { HLJSApi, Language } from 'highlight.js';

export default function wgsl(hljs: HLJSApi): Language {
  return {
    name: 'WGSL',
    aliases: ['wgsl'],
    keywords: {
      keyword:
        'fn let var const override struct return if else loop for while break continue continuing switch case default discard enable requires alias diagnostic',
      type: 'bool f16 f32 i32 u32 vec2 vec3 vec4 mat2x2 mat3x3 mat4x4 array atomic ptr sampler texture_2d vec2f vec3f vec4f vec2u vec3u vec4u vec2i vec3i vec4i',
      built_in: 'workgroupBarrier storageBarrier select dot min max clamp exp sqrt inverseSqrt arrayLength bitcast subgroupAdd subgroupMax',
      literal: 'true false',
    },
    contains: [
      hljs.C_LINE_COMMENT_MODE,
      hljs.C_BLOCK_COMMENT_MODE,
      { className: 'meta', begin: /@[a-z_]+/ },
      { className: 'number', begin: /\b\d+(\.\d+)?([eE][+-]?\d+)?[fhiu]?\b/ },
    ],
  };
}
