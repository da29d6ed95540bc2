"""Every model of the application, so ``Base.metadata`` knows all tables (Alembic imports this)."""

from app.models.assets import Asset, AssetDependency, AssetEmbedding, AssetTag, CustomTargetField, Tag
from app.models.audit import AccessAuditLog, EnhancedAccessAuditLog, SoftDeletedItem
from app.models.base import Base
from app.models.data_import import (
    DataImport,
    DataImportSession,
    DataQualityIssue,
    ImportFieldMapping,
    ImportProcessingStep,
    MappingLearningPattern,
    RawImportRecord,
)
from app.models.feedback import Feedback, FeedbackSummary
from app.models.llm import LLMModelPricing, LLMUsageLog, LLMUsageSummary
from app.models.migration import (
    Assessment,
    Migration,
    MigrationLog,
    MigrationWave,
    WavePlan,
    WorkflowProgress,
)
from app.models.sixr import (
    CMDBSixRAnalysis,
    SixRAnalysis,
    SixRIteration,
    SixRParameter,
    SixRQuestion,
    SixRQuestionResponse,
    SixRRecommendation,
)
from app.models.tenancy import (
    ClientAccess,
    ClientAccount,
    Engagement,
    EngagementAccess,
    EnhancedUserProfile,
    RolePermission,
    User,
    UserAccountAssociation,
    UserProfile,
    UserRole,
)

__all__ = [
    "AccessAuditLog",
    "Assessment",
    "Asset",
    "AssetDependency",
    "AssetEmbedding",
    "AssetTag",
    "Base",
    "CMDBSixRAnalysis",
    "ClientAccess",
    "ClientAccount",
    "CustomTargetField",
    "DataImport",
    "DataImportSession",
    "DataQualityIssue",
    "Engagement",
    "EngagementAccess",
    "EnhancedAccessAuditLog",
    "EnhancedUserProfile",
    "Feedback",
    "FeedbackSummary",
    "ImportFieldMapping",
    "ImportProcessingStep",
    "LLMModelPricing",
    "LLMUsageLog",
    "LLMUsageSummary",
    "MappingLearningPattern",
    "Migration",
    "MigrationLog",
    "MigrationWave",
    "RawImportRecord",
    "RolePermission",
    "SixRAnalysis",
    "SixRIteration",
    "SixRParameter",
    "SixRQuestion",
    "SixRQuestionResponse",
    "SixRRecommendation",
    "SoftDeletedItem",
    "Tag",
    "User",
    "UserAccountAssociation",
    "UserProfile",
    "UserRole",
    "WavePlan",
    "WorkflowProgress",
]
