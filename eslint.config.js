import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'build/**', 'bench/results/**', 'simulator/dashboard/public/vendor/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', 'Buffer', 'process', 'setTimeout', 'setInterval', 'clearTimeout', 'console', 'crypto', 'URL', 'Intl', 'structuredClone', 'atob', 'btoa'],
      'no-restricted-imports': ['error', { patterns: ['node:*', '../../hosts/*', '../../simulator/*', '*/hosts/*', '*/simulator/*'] }],
    },
  },
);
