// The --vscode-* variables a webview gets from VS Code's Dark Modern / Light Modern / High Contrast themes
// (the subset the panels use), and the body class VS Code sets for each.
export type ThemeName = 'dark' | 'light' | 'high-contrast';

const common = { '--vscode-font-family': 'system-ui, sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace' };

export const THEMES: Record<ThemeName, { bodyClass: string; vars: Record<string, string> }> = {
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      ...common,
      '--vscode-foreground': '#cccccc', '--vscode-descriptionForeground': '#9d9d9d', '--vscode-editor-background': '#1f1f1f',
      '--vscode-editorWidget-background': '#202020', '--vscode-sideBar-background': '#181818', '--vscode-widget-border': '#313131',
      '--vscode-panel-border': '#2b2b2b', '--vscode-focusBorder': '#0078d4', '--vscode-button-background': '#0078d4',
      '--vscode-button-foreground': '#ffffff', '--vscode-button-secondaryBackground': '#313131', '--vscode-button-secondaryForeground': '#cccccc',
      '--vscode-input-background': '#313131', '--vscode-input-foreground': '#cccccc', '--vscode-input-border': '#3c3c3c',
      '--vscode-list-hoverBackground': '#2a2d2e', '--vscode-progressBar-background': '#0078d4', '--vscode-dropdown-background': '#313131',
      '--vscode-dropdown-border': '#3c3c3c', '--vscode-dropdown-foreground': '#cccccc', '--vscode-settings-textInputBackground': '#313131',
      '--vscode-charts-blue': '#3794ff', '--vscode-charts-orange': '#d18616', '--vscode-charts-green': '#89d185',
      '--vscode-charts-purple': '#b180d7', '--vscode-charts-red': '#f14c4c', '--vscode-charts-yellow': '#cca700',
      '--vscode-editorLineNumber-foreground': '#6e7681', '--vscode-editorRuler-foreground': '#5a5a5a',
    },
  },
  light: {
    bodyClass: 'vscode-light',
    vars: {
      ...common,
      '--vscode-foreground': '#3b3b3b', '--vscode-descriptionForeground': '#717171', '--vscode-editor-background': '#ffffff',
      '--vscode-editorWidget-background': '#f8f8f8', '--vscode-sideBar-background': '#f8f8f8', '--vscode-widget-border': '#e5e5e5',
      '--vscode-panel-border': '#e5e5e5', '--vscode-focusBorder': '#005fb8', '--vscode-button-background': '#005fb8',
      '--vscode-button-foreground': '#ffffff', '--vscode-button-secondaryBackground': '#e5e5e5', '--vscode-button-secondaryForeground': '#3b3b3b',
      '--vscode-input-background': '#ffffff', '--vscode-input-foreground': '#3b3b3b', '--vscode-input-border': '#cecece',
      '--vscode-list-hoverBackground': '#f2f2f2', '--vscode-progressBar-background': '#005fb8', '--vscode-dropdown-background': '#ffffff',
      '--vscode-dropdown-border': '#cecece', '--vscode-dropdown-foreground': '#3b3b3b', '--vscode-settings-textInputBackground': '#ffffff',
      '--vscode-charts-blue': '#1a85ff', '--vscode-charts-orange': '#d18616', '--vscode-charts-green': '#388a34',
      '--vscode-charts-purple': '#652d90', '--vscode-charts-red': '#e51400', '--vscode-charts-yellow': '#bf8803',
      '--vscode-editorLineNumber-foreground': '#6e7681', '--vscode-editorRuler-foreground': '#d3d3d3',
    },
  },
  'high-contrast': {
    bodyClass: 'vscode-high-contrast',
    vars: {
      ...common,
      '--vscode-foreground': '#ffffff', '--vscode-descriptionForeground': '#ffffffb3', '--vscode-editor-background': '#000000',
      '--vscode-editorWidget-background': '#0c141f', '--vscode-widget-border': '#6fc3df', '--vscode-contrastBorder': '#6fc3df',
      '--vscode-panel-border': '#6fc3df', '--vscode-focusBorder': '#f38518', '--vscode-button-background': '#000000',
      '--vscode-button-foreground': '#ffffff', '--vscode-input-background': '#000000', '--vscode-input-border': '#6fc3df',
      '--vscode-list-hoverBackground': '#000000', '--vscode-progressBar-background': '#6fc3df',
      '--vscode-charts-blue': '#3794ff', '--vscode-charts-orange': '#d18616', '--vscode-charts-green': '#89d185',
      '--vscode-charts-purple': '#b180d7', '--vscode-charts-red': '#f14c4c', '--vscode-charts-yellow': '#cca700',
    },
  },
};
