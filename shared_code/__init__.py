"""The domain of the Power Textor backend. Never imports azure.functions: handlers stay thin."""
